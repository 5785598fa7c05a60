-- Failed-login counters for the lockout module, shared by every instance. `source` is the client
-- address for per-(account, source) counting, or '' for account-wide counting.
CREATE TABLE login_failures (
    username     text        NOT NULL,
    source       text        NOT NULL DEFAULT '',
    failures     integer     NOT NULL,
    window_start timestamptz NOT NULL,
    locked_until timestamptz,
    PRIMARY KEY (username, source)
);
