-- Invitations (#35): an administrator invites an address with roles; the link (only its token's
-- SHA-256 is kept) lets the invitee choose a username and password once, before it expires. The
-- account it made is remembered until the account goes.
CREATE TABLE invitations (
    token_hash text PRIMARY KEY,
    email text NOT NULL,
    roles text NOT NULL,
    invited_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    user_id bigint REFERENCES users (id) ON DELETE SET NULL
);

CREATE INDEX invitations_expiry_idx ON invitations (expires_at);
