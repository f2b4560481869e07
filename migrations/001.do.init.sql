-- Conventions shared by later migrations: gen_random_uuid() is built in since PostgreSQL 13, no extension needed.
SELECT 1;
