-- Phishing and push-fatigue resistance (docs/security.md, "Relay phishing and push fatigue").

-- Number matching and push limits, per server.
ALTER TABLE servers ADD COLUMN number_matching TEXT NOT NULL DEFAULT 'push';   -- off, push, always
ALTER TABLE servers ADD COLUMN number_input TEXT NOT NULL DEFAULT 'type';      -- type, choose
ALTER TABLE servers ADD COLUMN number_length BIGINT NOT NULL DEFAULT 2;           -- digits
ALTER TABLE servers ADD COLUMN push_block_minutes BIGINT NOT NULL DEFAULT 60;     -- after "This was not me"
ALTER TABLE servers ADD COLUMN push_hold_after BIGINT NOT NULL DEFAULT 3;         -- unanswered or denied pushes

-- The number the browser shows, and what the server saw of the browser itself.
ALTER TABLE sessions ADD COLUMN match_number TEXT;                           -- NULL: none asked
ALTER TABLE sessions ADD COLUMN observed_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN observed_ua TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN observed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE transactions ADD COLUMN match_number TEXT;

-- Push logins an account refused or left unanswered, and those held back because of them.
ALTER TABLE accounts ADD COLUMN push_blocked_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN push_strikes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN push_held BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN push_held_from TEXT NOT NULL DEFAULT '';

-- "This was not me": a login or transaction the account's owner did not start.
CREATE TABLE fraud_reports (
    report_id BIGSERIAL PRIMARY KEY,
    server_id BYTEA NOT NULL,
    account_id BIGINT NOT NULL,
    userid TEXT,
    kind TEXT NOT NULL,                  -- login, transaction, number (a wrong number was chosen)
    reference BYTEA NOT NULL,            -- session ref or transaction ref
    ip TEXT NOT NULL,                    -- the browser's address as the server saw it ('' unknown)
    browser TEXT NOT NULL,               -- its user agent in words ('' unknown)
    created BIGINT NOT NULL
);
CREATE INDEX fraud_reports_by_server ON fraud_reports (server_id, report_id);

-- The account a session's push login went to, and whether the account's last push is still
-- unanswered (the next push then counts a strike).
ALTER TABLE sessions ADD COLUMN pushed_to BIGINT;
ALTER TABLE accounts ADD COLUMN push_outstanding BIGINT NOT NULL DEFAULT 0;
