-- oidc.sso_idle_timeout_seconds: an SSO session not used for that long has ended. Its last use,
-- recorded at most once a minute.
ALTER TABLE sso_sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
