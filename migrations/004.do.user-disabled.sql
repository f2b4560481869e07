-- An admin can disable an account (PATCH /v1/users/{id}). A timestamp rather than a flag says since when, for
-- support; NULL (every existing account) means enabled. Disabling also revokes the account's refresh tokens.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
