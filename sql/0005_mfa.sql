-- Multi-factor authentication: TOTP enrolments and recovery codes (users.mfa_enabled says whether
-- a confirmed enrolment exists).

CREATE TABLE mfa_totp (
    user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- The secret sealed with AES-256-GCM (nonce ‖ ciphertext ‖ tag, the user id as associated data)
    -- under the configured key named by key_id; never the base32 text.
    secret     bytea       NOT NULL,
    key_id     text        NOT NULL,
    algorithm  text        NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits     smallint    NOT NULL CHECK (digits BETWEEN 6 AND 8),
    period     integer     NOT NULL CHECK (period > 0),
    confirmed  boolean     NOT NULL DEFAULT false,
    -- The last time step accepted: a code is accepted only for a later one (no replays).
    last_step  bigint,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One-time recovery codes, stored as the SHA-256 of their 80 random bits.
CREATE TABLE mfa_recovery_codes (
    user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash text        NOT NULL,
    used_at   timestamptz,
    PRIMARY KEY (user_id, code_hash)
);
