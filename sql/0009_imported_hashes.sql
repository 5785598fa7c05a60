-- Password hashes imported from other systems (werkzeug's pbkdf2 and scrypt so far) are stored as
-- they came; the first login that matches replaces one with authd's scrypt PHC string.
ALTER TABLE users DROP CONSTRAINT users_password_hash_check;
ALTER TABLE users ADD CONSTRAINT users_password_hash_check
    CHECK (password_hash LIKE '$scrypt$%' OR password_hash LIKE 'pbkdf2:%' OR password_hash LIKE 'scrypt:%');
