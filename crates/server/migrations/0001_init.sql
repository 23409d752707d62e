-- Initial schema (PostgreSQL). Keep in step with ../sqlite/0001_init.sql: same tables, columns
-- and meaning; only the types differ. Times are Unix seconds; booleans are 0/1 integers so
-- that one query text serves both databases.

CREATE TABLE servers (
    server_id BYTEA PRIMARY KEY,            -- 16 random bytes
    key_sealed BYTEA NOT NULL,              -- PKCS#8 of the P-256 key, sealed with the master key
    public_key BYTEA NOT NULL,              -- 65 bytes
    name TEXT NOT NULL,
    logo BYTEA NOT NULL,
    pin_timeout BIGINT NOT NULL,
    pin_trans_timeout BIGINT NOT NULL,
    ping_time BIGINT NOT NULL,
    max_pin_attempts BIGINT NOT NULL,
    second_factor BIGINT NOT NULL,         -- 0 none, 1 PIN
    unique_display_names BIGINT NOT NULL,
    flags TEXT NOT NULL,                   -- JSON array of strings
    owner BIGINT NOT NULL,
    appname TEXT NOT NULL,
    appurl TEXT NOT NULL,
    appandroid TEXT NOT NULL,
    appios TEXT NOT NULL,
    siteurl TEXT NOT NULL,
    wsurl TEXT NOT NULL,                   -- the app endpoint (ws:// or wss:// .../sigmai)
    params_issued_at BIGINT NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE roles (
    role_id TEXT PRIMARY KEY
);

CREATE TABLE permissions (
    role_id TEXT NOT NULL,
    server_id BYTEA NOT NULL,               -- 16 zero bytes for a global permission
    acl TEXT NOT NULL,                     -- servers, createserver, accounts, sessions, users, root, setrid
    PRIMARY KEY (role_id, server_id, acl)
);

CREATE TABLE api_keys (
    key_hash BYTEA PRIMARY KEY,             -- SHA-256 of the key; the key itself is never stored
    role_id TEXT NOT NULL,
    description TEXT NOT NULL,
    created BIGINT NOT NULL
);

CREATE TABLE attributes (
    scope TEXT NOT NULL,                   -- 'global', 'server', 'privileged', 'user'
    server_id BYTEA NOT NULL,
    userid TEXT NOT NULL,
    attr_key TEXT NOT NULL,
    attr_value TEXT NOT NULL,              -- JSON value
    PRIMARY KEY (scope, server_id, userid, attr_key)
);

CREATE TABLE users (
    server_id BYTEA NOT NULL,
    userid TEXT NOT NULL,
    role_id TEXT,
    created BIGINT NOT NULL,
    lastlogin BIGINT NOT NULL,
    PRIMARY KEY (server_id, userid)
);

CREATE TABLE accounts (
    account_id BIGSERIAL PRIMARY KEY,
    server_id BYTEA NOT NULL,
    public_key BYTEA NOT NULL,              -- 65 bytes
    userid TEXT,                           -- NULL until registered
    display_name TEXT NOT NULL,
    description TEXT NOT NULL,             -- device name
    client_version TEXT NOT NULL,
    blocked BIGINT NOT NULL,
    deleted BIGINT NOT NULL,               -- deleted by the server; kept until the app has pulled
                                           -- the DELETE_ACCOUNT message (or it expired)
    push_key_sealed BYTEA NOT NULL,         -- sealed with the master key
    push_key_id BYTEA NOT NULL,             -- 8 bytes, public
    pin_verifier_sealed BYTEA,              -- sealed with the master key; NULL when headless
    pin_failures BIGINT NOT NULL,
    pin_blocked BIGINT NOT NULL,
    last_pin_at BIGINT NOT NULL,
    created BIGINT NOT NULL,
    lastlogin BIGINT NOT NULL,
    lastprovoke BIGINT NOT NULL,
    UNIQUE (server_id, public_key)
);
CREATE INDEX accounts_by_user ON accounts (server_id, userid);

CREATE TABLE sessions (
    server_id BYTEA NOT NULL,
    session_ref BYTEA NOT NULL,             -- hsid: derived from the integrator's nonce
    state TEXT NOT NULL,                   -- new, scanned, loggedin, loggedout, cancelled
    account_id BIGINT,
    last_account_id BIGINT,                -- the account that last logged in (provokelogin)
    user_input TEXT NOT NULL,
    announce TEXT NOT NULL,                -- JSON UserContext of the last QR/push request
    version BIGINT NOT NULL,               -- bumped on every change; watchers poll it
    event TEXT NOT NULL,                   -- last event for browsers: CONFIRMSCAN, LOGIN, ...
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    PRIMARY KEY (server_id, session_ref)
);

CREATE TABLE enrol_codes (
    secret_hash BYTEA PRIMARY KEY,          -- SHA-256 of the one-time secret
    server_id BYTEA NOT NULL,
    session_ref BYTEA NOT NULL,
    display_name TEXT NOT NULL,
    userid TEXT,
    expires BIGINT NOT NULL,
    used BIGINT NOT NULL
);

CREATE TABLE transactions (
    tid BYTEA PRIMARY KEY,                  -- the transaction ref, 16 bytes
    server_id BYTEA NOT NULL,
    session_ref BYTEA NOT NULL,
    account_id BIGINT NOT NULL,
    amount TEXT NOT NULL,
    beneficiary TEXT NOT NULL,
    description TEXT NOT NULL,
    status BIGINT NOT NULL,                -- 0 new, 1 approved, 2 declined
    evidence BYTEA,                         -- transcript hash and account signature
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL
);

CREATE TABLE messages (
    message_id BYTEA PRIMARY KEY,
    account_id BIGINT NOT NULL,
    envelope BYTEA NOT NULL,
    kind TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    delivered BIGINT NOT NULL              -- 1 once acknowledged by the app
);
CREATE INDEX messages_by_account ON messages (account_id, delivered);
