-- Accounts. Uniqueness lives here, not in a check-then-insert: the unique indexes are what make
-- concurrent registrations on several instances safe.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL CHECK (char_length(username) BETWEEN 3 AND 64),
    email         text        NOT NULL CHECK (email = lower(email) AND char_length(email) <= 254),
    password_hash text        NOT NULL CHECK (password_hash LIKE '$scrypt$%'),
    role          text        NOT NULL DEFAULT 'user',
    mfa_enabled   boolean     NOT NULL DEFAULT false,
    disabled      boolean     NOT NULL DEFAULT false,
    -- Tokens issued before this instant are refused (password change, logout-all, disable).
    not_before    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Usernames are unique case-insensitively; e-mail addresses are stored normalised (lower-case).
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (email);
