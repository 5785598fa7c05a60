-- Failed-login counters end: each row records when its window and any lock are over, and every
-- listener deletes rows past that each minute, so invented usernames do not pile up forever.
ALTER TABLE login_failures ADD COLUMN expires_at timestamptz NOT NULL DEFAULT now() + interval '1 day';
CREATE INDEX login_failures_expires_idx ON login_failures (expires_at);
