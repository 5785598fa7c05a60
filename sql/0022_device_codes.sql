-- OAuth 2.0 Device Authorization Grant (RFC 8628, #38). A device's pending request: its device
-- code as SHA-256 (256 random bits), the user code a person types on /ui/device (eight of twenty
-- consonants, unique while stored), the client and scopes, how often it may poll and when it last
-- did. The person's answer sets status and, when allowed, who and how they had signed in; the
-- poll that finds it allowed spends it (status 'used') in one statement.
CREATE TABLE device_codes (
    code_hash        text        PRIMARY KEY CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    user_code        text        NOT NULL UNIQUE CHECK (user_code ~ '^[BCDFGHJKLMNPQRSTVWXZ]{8}$'),
    client_id        text        NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    -- Space-separated, as sessions.scope.
    scope            text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    interval_seconds integer     NOT NULL CHECK (interval_seconds BETWEEN 1 AND 600),
    polled_at        timestamptz,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'allowed', 'denied', 'used')),
    user_id          bigint      REFERENCES users (id) ON DELETE CASCADE,
    auth_time        bigint,
    amr              text,
    sso_session_id   text,
    CHECK ((status IN ('allowed', 'used')) = (user_id IS NOT NULL AND auth_time IS NOT NULL AND amr IS NOT NULL))
);
CREATE INDEX device_codes_expires_idx ON device_codes (expires_at);
