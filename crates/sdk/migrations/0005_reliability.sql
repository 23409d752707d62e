-- Nothing ends on one side only (docs/reliability.md).
--
-- An enrolment is stored here, keys sealed, before the app sends its final message; the
-- server's Accepted moves it into servers and accounts in one transaction. A row left over
-- (the app stopped, the disk filled) is resolved with the server at the next start: kept if
-- the server knows the key, dropped if not.
CREATE TABLE pending_enrols (
    account_id TEXT PRIMARY KEY,         -- UUID the account will have
    server_id BLOB NOT NULL,
    signed_params BLOB NOT NULL,         -- the server's parameters as the enrolment verified them
    display_name TEXT NOT NULL,
    public_key BLOB NOT NULL,
    key_sealed BLOB NOT NULL,
    push_key_sealed BLOB NOT NULL,
    push_key_id BLOB NOT NULL,
    has_pin INTEGER NOT NULL,
    created INTEGER NOT NULL
);

-- Logins and approvals whose outcome the app did not learn (stopped after sending its final
-- message, or the connection broke before the answer): the history entry is corrected once the
-- server says whether it happened.
CREATE TABLE unresolved_outcomes (
    entry_id INTEGER PRIMARY KEY REFERENCES history (entry_id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    reference BLOB NOT NULL,             -- the session ref (login) or transaction ref
    kind TEXT NOT NULL                   -- LOGIN or SIGN_TRANSACTION
);

-- What an open flow had sent, so a restart knows whether its outcome is unknown.
ALTER TABLE open_flows ADD COLUMN account_id TEXT;
ALTER TABLE open_flows ADD COLUMN reference BLOB;

-- The keystore's seal of a fixed text: a database and a key that do not belong together are
-- recognised at open, before anything is written.
ALTER TABLE device ADD COLUMN key_check BLOB;
-- A random id also kept in the file nextauth.db.id: a missing or replaced database is
-- recognised instead of silently starting empty.
ALTER TABLE device ADD COLUMN database_id BLOB;
