-- Accounts. Emails are stored lower-cased and unique regardless of case (the index is on lower(email)
-- so a row written by hand with capitals still cannot duplicate another).
CREATE TABLE users (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text        NOT NULL CHECK (char_length(email) <= 254),
  name          text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  role          text        NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
  password_hash text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE INDEX users_created_at_idx ON users (created_at DESC, id);

-- Opaque refresh tokens, stored as SHA-256 hashes only. A login starts a family; each refresh consumes
-- one token and adds the next of the same family; presenting a consumed token revokes the whole family.
CREATE TABLE refresh_tokens (
  id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  family_id   uuid        NOT NULL,
  user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash  text        NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  consumed_at timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_active_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
