-- Limits on biometric unlock (Config::max_biometric_unlocks, Config::max_time_without_pin):
-- biometric unlocks since the PIN was last typed, and when it was last typed (Unix s, 0 never).
ALTER TABLE device ADD COLUMN biometric_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE device ADD COLUMN pin_typed_at INTEGER NOT NULL DEFAULT 0;
