-- App tokens (docs/protocol.md 10.7): only a session that an app opened for itself
-- (AppLogin) can back a token for the app's own backend.
ALTER TABLE sessions ADD COLUMN app_login BIGINT NOT NULL DEFAULT 0;
