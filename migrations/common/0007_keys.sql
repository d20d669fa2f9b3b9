-- Source tokens are stored encrypted (AES-256-GCM, see src/keys/secret.rs): `auth_token` holds
-- base64(nonce || ciphertext || tag) and this column the id of the key from the secret key
-- file it was encrypted with. NULL beside a token: a token an older privacyd stored in clear,
-- which the next start encrypts.
ALTER TABLE data_sources ADD COLUMN auth_token_key_id TEXT;

-- Receipts are signed with Ed25519 over the exact bytes of `document` (see
-- src/erasure/receipt.rs). NULL: a receipt written before receipts were signed.
ALTER TABLE erasure_receipts ADD COLUMN signature TEXT;
ALTER TABLE erasure_receipts ADD COLUMN signing_key_id TEXT;
ALTER TABLE erasure_receipts ADD COLUMN signing_public_key TEXT;
