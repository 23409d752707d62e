-- The background sweep (src/sweep) deletes what is finished by age: sessions by their last
-- change, enrol codes, transactions and push messages by their expiry. These indexes keep each
-- sweep a range scan however large the tables grow. Same text for SQLite and PostgreSQL.

CREATE INDEX sessions_by_updated ON sessions (updated);
CREATE INDEX enrol_codes_by_expiry ON enrol_codes (expires);
CREATE INDEX transactions_by_expiry ON transactions (expires);
CREATE INDEX messages_by_expiry ON messages (expires);
