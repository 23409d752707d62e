-- Continuous sessions outlive the process that held their connection (docs/protocol.md 10.8):
-- the app resumes on another process. `ping_deadline` (Unix s) is when a logged-in continuous
-- session is over if no process has heard a pong for it by then; each pong and each resume
-- moves it on, and every process logs out the sessions past it (an app that never came back).
-- NULL: no deadline (one-shot logins, sessions that never logged in).
ALTER TABLE sessions ADD COLUMN ping_deadline BIGINT;
CREATE INDEX sessions_by_ping_deadline ON sessions (ping_deadline);
