-- E-mail verification (#35): whether the account's owner proved the address, and what proves it:
-- a verification row in account_tokens holds the link token's hash (the key), the address it was
-- sent to, and the hash of a short code the signed-in owner may type instead, with the wrong
-- tries counted against it.
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;

ALTER TABLE account_tokens
    ADD COLUMN email text,
    ADD COLUMN code_hash text,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0;
