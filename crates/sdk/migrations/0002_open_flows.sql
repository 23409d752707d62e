-- Flows and continuous sessions under way, so that a restart (a crash, a killed app) ends them
-- in the history instead of losing them. Rows are removed when the flow or session ends.
CREATE TABLE open_flows (
    flow_id TEXT PRIMARY KEY,
    flow TEXT NOT NULL,                  -- the last reported Flow, JSON
    session INTEGER NOT NULL DEFAULT 0,  -- 1: the flow is done, its continuous session lives
    updated INTEGER NOT NULL
);
