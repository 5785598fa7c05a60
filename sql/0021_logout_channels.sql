-- OpenID Connect Back-Channel and Front-Channel Logout 1.0 (#38). A client may register where it
-- hears of sign-outs: a back-channel URI that authd POSTs a logout token to (from the outbox), and a
-- front-channel URI that the signed-out page loads in an iframe. Absolute https (http on loopback),
-- without a fragment; checked by authd as redirect URIs are.
ALTER TABLE clients
    ADD COLUMN backchannel_logout_uri text CHECK (char_length(backchannel_logout_uri) BETWEEN 1 AND 512),
    ADD COLUMN frontchannel_logout_uri text CHECK (char_length(frontchannel_logout_uri) BETWEEN 1 AND 512);

-- A code issued in an SSO session remembers it (the authd session behind the portal's cookie), and
-- the session its exchange opens for the client is that session's child: whatever ends the SSO
-- session (sign-out, logout everywhere, a password change or reset, an admin's revoke or disable,
-- its expiry) ends the children with it, and tells their clients.
ALTER TABLE authorization_codes ADD COLUMN sso_session_id text;
ALTER TABLE sessions ADD COLUMN parent_id text REFERENCES sessions (id) ON DELETE SET NULL;
CREATE INDEX sessions_parent_idx ON sessions (parent_id) WHERE parent_id IS NOT NULL;
