-- Wake the deliverers (#35): every statement that adds to the outbox, whoever runs it (a request,
-- authctl, an operator's INSERT), notifies authd_outbox when its transaction commits; each authd's
-- listener connection hears it and starts a delivery round at once instead of at its next poll.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('authd_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
