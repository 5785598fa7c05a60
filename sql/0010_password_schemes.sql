-- Every stored hash is tagged with its scheme, the name AuthCrypto's ImportedHashScheme gives it
-- (`scrypt` is authd's own PHC string). A hash in a format authd does not verify cannot be
-- stored: the tag is NULL for it and the column is NOT NULL. The partial index counts what is
-- left to rehash (`authctl user list --hash-scheme`, the authd_password_hashes gauge).
ALTER TABLE users DROP CONSTRAINT users_password_hash_check;
ALTER TABLE users ADD COLUMN password_scheme text NOT NULL GENERATED ALWAYS AS (CASE
    WHEN password_hash LIKE '$scrypt$%' THEN 'scrypt'
    WHEN password_hash LIKE 'pbkdf2:%' THEN 'werkzeug-pbkdf2'
    WHEN password_hash LIKE 'scrypt:%' THEN 'werkzeug-scrypt'
    WHEN password_hash LIKE '$2a$%' OR password_hash LIKE '$2b$%' OR password_hash LIKE '$2y$%' THEN 'bcrypt'
    WHEN password_hash LIKE '$5$%' OR password_hash LIKE '$6$%' THEN 'sha-crypt'
    WHEN password_hash LIKE '$y$%' THEN 'yescrypt'
    WHEN password_hash LIKE '$argon2id$%' OR password_hash LIKE '$argon2i$%' THEN 'argon2'
END) STORED;
CREATE INDEX users_imported_hash_idx ON users (password_scheme) WHERE password_scheme <> 'scrypt';
