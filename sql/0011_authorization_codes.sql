-- OAuth 2 authorization codes (RFC 6749 §4.1), stored as their SHA-256 (hex): 256 random bits each,
-- so a fast hash loses nothing. A code is spent by one conditional UPDATE (used_at IS NULL), so of
-- any number of presentations on any number of instances exactly one redeems it; a later one is a
-- replay (replayed_at) and ends the session the first opened (session_id). Spent and expired codes
-- stay a day, so a replay after the code's minute is still caught, then the minute's prune drops them.
CREATE TABLE authorization_codes (
    code_hash      text        PRIMARY KEY CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    client_id      text        NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   text        NOT NULL,
    -- Space-separated, as sessions.scope.
    scope          text        NOT NULL,
    nonce          text,
    code_challenge text,
    -- Unix seconds of the user's authentication; methods space-separated (RFC 8176: pwd, otp).
    auth_time      bigint      NOT NULL,
    amr            text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    replayed_at    timestamptz,
    session_id     text        REFERENCES sessions (id) ON DELETE SET NULL
);
CREATE INDEX authorization_codes_expires_idx ON authorization_codes (expires_at);
