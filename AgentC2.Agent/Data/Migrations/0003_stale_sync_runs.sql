-- AgentC2 schema, version 3: synchronous runs whose agent instance died are found by the workers' reaper.
CREATE INDEX runs_sync_running ON runs (started_at) WHERE status = 'running' AND lease_owner IS NULL;
