-- DPoP (RFC 9449, #38). A proof's jti, hashed with its key's thumbprint, is kept until the proof's
-- iat window has passed, so a proof replayed to any instance is refused. A session opened with a
-- proof (a login's, a public client's) is bound to the proof's key: only proofs by it refresh it.
CREATE TABLE dpop_proofs (
    proof_hash text        PRIMARY KEY CHECK (proof_hash ~ '^[0-9a-f]{64}$'),
    expires_at timestamptz NOT NULL
);
CREATE INDEX dpop_proofs_expires_idx ON dpop_proofs (expires_at);

ALTER TABLE sessions ADD COLUMN dpop_jkt text CHECK (dpop_jkt ~ '^[A-Za-z0-9_-]{43}$');

-- RFC 9449 §5.2's dpop_bound_access_tokens: the client's token requests must carry a proof.
ALTER TABLE clients ADD COLUMN dpop_required boolean NOT NULL DEFAULT false;
