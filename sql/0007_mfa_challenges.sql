-- mfa_tokens that completed a login: each opens one session, on any instance. Kept until the
-- token would have expired anyway, then pruned.
CREATE TABLE mfa_challenges_used (
    id         text        PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX mfa_challenges_used_expires_idx ON mfa_challenges_used (expires_at);
