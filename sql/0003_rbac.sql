-- Roles and permissions (many-to-many), and an audit trail of administrative changes.

CREATE TABLE roles (
    name        text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,63}$'),
    description text        NOT NULL DEFAULT '' CHECK (char_length(description) <= 256),
    -- Built-in roles cannot be deleted, and the admin role's permissions cannot be edited.
    builtin     boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A permission is a name like `users:read`; services may define their own (`mail:send`).
CREATE TABLE role_permissions (
    role       text NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    permission text NOT NULL CHECK (permission ~ '^[a-z][a-z0-9_.-]{0,63}(:[a-z0-9_.*-]{1,64}){1,3}$'),
    PRIMARY KEY (role, permission)
);

-- Deleting a role someone still holds is refused (RESTRICT); deleting a user drops their grants.
CREATE TABLE user_roles (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    text   NOT NULL REFERENCES roles (name) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role_idx ON user_roles (role, user_id);

INSERT INTO roles (name, description, builtin) VALUES
    ('user', 'every account, from registration', true),
    ('admin', 'administers users, roles and sessions', true);
INSERT INTO role_permissions (role, permission) VALUES
    ('admin', 'users:read'), ('admin', 'users:write'), ('admin', 'roles:read'), ('admin', 'roles:write'),
    ('admin', 'sessions:revoke'), ('admin', 'audit:read');

-- Existing accounts keep the single role they had.
INSERT INTO roles (name)
    SELECT DISTINCT role FROM users WHERE role ~ '^[a-z][a-z0-9_.-]{0,63}$'
    ON CONFLICT (name) DO NOTHING;
INSERT INTO user_roles (user_id, role)
    SELECT id, CASE WHEN role ~ '^[a-z][a-z0-9_.-]{0,63}$' THEN role ELSE 'user' END FROM users;
ALTER TABLE users DROP COLUMN role;

-- Who changed what, when and from where. Never a password, token or secret. `actor_id` is not a
-- foreign key: the trail outlives the accounts it mentions.
CREATE TABLE audit_log (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor_id   bigint,
    actor      text        NOT NULL,
    source     text        NOT NULL DEFAULT '',
    action     text        NOT NULL,
    target     text        NOT NULL,
    details    jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
