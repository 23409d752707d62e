-- The History screen filters by server and by status, newest first. Without these indexes a
-- filter that matches rarely walks the whole table (measured in crates/sdk/benches/history.rs,
-- docs/benchmarks.md); with them each page is an index seek.
CREATE INDEX history_by_server ON history (server_id, entry_id DESC);
CREATE INDEX history_by_status ON history (status, entry_id DESC);
