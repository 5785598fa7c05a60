-- OpenID Connect Dynamic Client Registration's id_token_signed_response_alg, set by an
-- administrator: RS256 (every provider's) or the algorithm of jwt.signing_key_file's pair.
ALTER TABLE clients ADD COLUMN id_token_alg text NOT NULL DEFAULT 'RS256'
    CHECK (id_token_alg IN ('RS256', 'ES256', 'EdDSA'));
