-- Single-use tokens sent by mail (#35): password reset now. Only a token's SHA-256 is kept; a used
-- one keeps used_at until the account's next reset removes it, or the account goes.
CREATE TABLE account_tokens (
    token_hash text PRIMARY KEY,
    purpose text NOT NULL,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose, created_at);
