-- Sessions with rotating refresh tokens, and the revocations every instance keeps in memory.

-- One row per login. Refresh tokens are never stored, only their SHA-256 (hex).
CREATE TABLE sessions (
    id             text        PRIMARY KEY,          -- random; the access tokens' `sid`
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_used_at   timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,             -- absolute lifetime
    client_address text        NOT NULL DEFAULT '',
    user_agent     text        NOT NULL DEFAULT '' CHECK (char_length(user_agent) <= 256),
    refresh_count  integer     NOT NULL DEFAULT 0,
    token_hash     text        NOT NULL,             -- the current refresh token's
    previous_hash  text,                             -- the one it replaced, at rotated_at
    rotated_at     timestamptz,
    -- The pair issued at rotated_at, sealed with a key derived from the previous refresh token, so
    -- that only its holder can get it again within the grace window.
    grace_pair     bytea,
    revoked_at     timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- Every refresh token a session has had: presenting an old one is theft, and revokes the session.
CREATE TABLE session_tokens (
    hash       text PRIMARY KEY,
    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE
);
CREATE INDEX session_tokens_session_idx ON session_tokens (session_id);

-- Revoked access tokens (`token`: jti), sessions (`session`: sid) and users' cut-offs (`user`: id;
-- tokens issued before `cut_off` are refused), each until no token it refuses can still be valid.
CREATE TABLE revocations (
    kind       text        NOT NULL CHECK (kind IN ('token', 'session', 'user')),
    subject    text        NOT NULL,
    cut_off    bigint      NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (kind, subject)
);
CREATE INDEX revocations_expires_idx ON revocations (expires_at);

-- Cut-offs recorded before this table existed (role changes, disables) keep refusing tokens.
INSERT INTO revocations (kind, subject, cut_off, expires_at)
    SELECT 'user', id::text, extract(epoch FROM not_before)::bigint, not_before + interval '1 day'
    FROM users WHERE not_before > now() - interval '1 day';
