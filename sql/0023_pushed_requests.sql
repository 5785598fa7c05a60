-- Pushed authorization requests (RFC 9126, #38). A client posts its authorization request to
-- /oauth2/par and gets a request_uri for it: the URN's random part is stored as SHA-256 (256 bits),
-- with the client and the checked parameters, for a minute; the authorization endpoint takes it
-- once, for that client only, in one conditional UPDATE.
CREATE TABLE pushed_requests (
    uri_hash   text        PRIMARY KEY CHECK (uri_hash ~ '^[0-9a-f]{64}$'),
    client_id  text        NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    parameters json        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX pushed_requests_expires_idx ON pushed_requests (expires_at);

-- require_pushed_authorization_requests (RFC 9126 §6): this client's authorization requests must
-- come through /oauth2/par (oidc.require_pushed_authorization_requests asks it of every client).
ALTER TABLE clients ADD COLUMN par_required boolean NOT NULL DEFAULT false;
