-- The browser portal (/ui/…). An SSO session is the portal's cookie, stored as its SHA-256 (256
-- random bits), bound to an authd session: whatever ends that session (logout everywhere, a
-- password change, an admin's revoke or disable, its expiry) ends the SSO session on every
-- instance, and deleting the session row deletes it.
CREATE TABLE sso_sessions (
    cookie_hash text        PRIMARY KEY CHECK (cookie_hash ~ '^[0-9a-f]{64}$'),
    session_id  text        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Unix seconds of the sign-in; methods space-separated (RFC 8176: pwd, otp).
    auth_time   bigint      NOT NULL,
    amr         text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sso_sessions_session_idx ON sso_sessions (session_id);

-- What each user let each client have; the consent page is not shown again for these scopes.
CREATE TABLE consents (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  text        NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes     text[]      NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, client_id)
);
