-- Dynamic client registration (RFC 7591 and 7592, #38). An administrator makes an initial access
-- token (kept as its SHA-256; 256 random bits) that lets its holder register clients until it
-- expires or its uses run out (NULL: any number). Each client registered so gets a registration
-- access token of its own, kept as its SHA-256, with which it reads, changes or deletes itself.
CREATE TABLE registration_tokens (
    token_hash text        PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    uses_left  integer     CHECK (uses_left >= 0)
);
CREATE INDEX registration_tokens_expires_idx ON registration_tokens (expires_at);

ALTER TABLE clients ADD COLUMN registration_hash text UNIQUE CHECK (registration_hash ~ '^[0-9a-f]{64}$');
