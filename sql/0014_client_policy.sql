-- Security hardening, round 2: what an administrator decides per client.
-- skip_consent: a first-party application whose users are never asked to consent (every other
--   client asks, whatever its scopes).
-- introspection: a resource server that may introspect tokens issued to others (a client always
--   may introspect its own).
-- pkce_required: the authorization code flow needs PKCE (S256) from this client; the opt-out is
--   for confidential clients that cannot send it.
ALTER TABLE clients
    ADD COLUMN skip_consent boolean NOT NULL DEFAULT false,
    ADD COLUMN introspection boolean NOT NULL DEFAULT false,
    ADD COLUMN pkce_required boolean NOT NULL DEFAULT true;
