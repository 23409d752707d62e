-- Security (docs/security.md): one outstanding PIN challenge per account, PIN resets by the
-- integrator, the server key's rotation history, and AppLogin as a server setting.

ALTER TABLE accounts ADD COLUMN pin_challenge BYTEA;                   -- 16 random bytes; NULL: none
ALTER TABLE accounts ADD COLUMN pin_reset BIGINT NOT NULL DEFAULT 0;   -- 1: the app sets a new PIN next
ALTER TABLE servers ADD COLUMN key_rotations BYTEA NOT NULL DEFAULT ''::bytea;  -- encoded KeyRotation chain
ALTER TABLE servers ADD COLUMN applogin BIGINT NOT NULL DEFAULT 0;     -- 1: AppLogin sessions allowed
ALTER TABLE sessions ADD COLUMN previous_ref BYTEA;                      -- the ref this login was moved from (demo site: new cookie at login)
