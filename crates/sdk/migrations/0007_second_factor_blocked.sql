-- Config::block_second_factor_on_pin_blocked: a server said the PIN is blocked (1) until a PIN
-- is set again (a new PIN, or one set after the integrator's reset).
ALTER TABLE device ADD COLUMN pin_blocked INTEGER NOT NULL DEFAULT 0;
