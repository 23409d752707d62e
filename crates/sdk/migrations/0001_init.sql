-- The SDK's local database (SQLite). Times are Unix seconds. Secrets (account private keys,
-- push keys, the PIN device secret) are stored only sealed by the platform keystore.

CREATE TABLE servers (
    server_id BLOB PRIMARY KEY,          -- 16 bytes
    signed_params BLOB NOT NULL,         -- params bytes32 || signature, as the server sent them
    public_key BLOB NOT NULL,            -- the pinned key: later parameters must carry it
    issued_at INTEGER NOT NULL,
    updated INTEGER NOT NULL
);

CREATE TABLE accounts (
    account_id TEXT PRIMARY KEY,         -- UUID
    server_id BLOB NOT NULL REFERENCES servers (server_id),
    display_name TEXT NOT NULL,
    public_key BLOB NOT NULL,
    key_sealed BLOB NOT NULL,            -- PKCS#8, sealed by the keystore
    push_key_sealed BLOB NOT NULL,
    push_key_id BLOB NOT NULL,           -- 8 bytes
    has_pin INTEGER NOT NULL,
    created INTEGER NOT NULL,
    last_login INTEGER,
    pending_delete INTEGER NOT NULL DEFAULT 0  -- deleted in the app, server not told yet
);
CREATE INDEX accounts_by_server ON accounts (server_id);

CREATE TABLE device (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pin_secret_sealed BLOB               -- NULL: no PIN set
);

CREATE TABLE history (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,                  -- ENROL, LOGIN, SIGN_TRANSACTION, CHANGE_PIN, PUSH, DELETE
    status TEXT NOT NULL,                -- LOGGED_IN, LOGGED_IN_ONE_SHOT, LOGGED_OUT, ABORTED, ...
    server_id BLOB,
    server_name TEXT NOT NULL,
    account_id TEXT,
    account_name TEXT NOT NULL,
    announce TEXT NOT NULL,              -- JSON
    error_code INTEGER,
    detail TEXT NOT NULL
);
CREATE INDEX history_by_time ON history (at DESC, entry_id DESC);

CREATE TABLE seen_messages (
    message_id BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

CREATE TABLE messages (
    message_id BLOB PRIMARY KEY,
    account_id TEXT NOT NULL,
    received INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    read INTEGER NOT NULL DEFAULT 0
);
