-- The outbox (DESIGN §13): outgoing work, written in the transaction of the change that causes it
-- and delivered by any instance. A claim takes due rows with FOR UPDATE SKIP LOCKED, counts an
-- attempt and moves due_at to the end of its lease, so a row whose instance died is due again
-- then. A delivered row is deleted; one given up keeps failed_at and its last error.
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    payload json NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    failed_at timestamptz
);

CREATE INDEX outbox_due_idx ON outbox (due_at, id) WHERE failed_at IS NULL;
