-- Which role created an API key (GET /apikeys/ lists the keys the caller's role created).
-- NULL for keys made by the server itself (the demo key).
ALTER TABLE api_keys ADD COLUMN created_by TEXT;
CREATE INDEX api_keys_by_creator ON api_keys (created_by);
