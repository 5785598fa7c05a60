-- OAuth 2 clients (RFC 6749 §2): services that get tokens of their own (client credentials) and,
-- with redirect URIs, the applications users sign in to. A secret is never stored, only its
-- SHA-256 (hex): authd makes every secret from 32 random bytes, so a fast hash loses nothing, as for
-- refresh tokens. Public clients have no secret.
CREATE TABLE clients (
    id             text        PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    name           text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
    type           text        NOT NULL CHECK (type IN ('confidential', 'public')),
    secret_hash    text        CHECK ((type = 'confidential') = (secret_hash IS NOT NULL)),
    grant_types    text[]      NOT NULL DEFAULT '{}',
    scopes         text[]      NOT NULL DEFAULT '{}',
    redirect_uris  text[]      NOT NULL DEFAULT '{}',
    -- Seconds; NULL: access_token_ttl.
    token_lifetime integer     CHECK (token_lifetime BETWEEN 60 AND 86400),
    disabled       boolean     NOT NULL DEFAULT false,
    -- Tokens issued before it are refused (a disable, a new secret, a change of roles or scopes).
    not_before     timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Roles granted to a client for service-to-service calls; a role a client holds cannot be deleted.
CREATE TABLE client_roles (
    client_id text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    role      text NOT NULL REFERENCES roles (name) ON DELETE RESTRICT,
    PRIMARY KEY (client_id, role)
);
CREATE INDEX client_roles_role_idx ON client_roles (role);

-- A session opened through a client (the next issue's authorization code) is that client's: only
-- it may refresh it (RFC 6749 §6), with the scope granted then; deleting the client ends them.
ALTER TABLE sessions ADD COLUMN client_id text REFERENCES clients (id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN scope text;
CREATE INDEX sessions_client_idx ON sessions (client_id) WHERE client_id IS NOT NULL;

-- A client's cut-off travels like a user's.
ALTER TABLE revocations DROP CONSTRAINT revocations_kind_check;
ALTER TABLE revocations ADD CONSTRAINT revocations_kind_check
    CHECK (kind IN ('token', 'session', 'user', 'client'));

INSERT INTO role_permissions (role, permission) VALUES ('admin', 'clients:read'), ('admin', 'clients:write')
    ON CONFLICT DO NOTHING;
