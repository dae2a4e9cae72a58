-- Finished runs in the order retention deletes them (oldest first), without touching the queue's indexes.
CREATE INDEX runs_finished ON runs (finished_at) WHERE status IN ('succeeded', 'failed', 'cancelled');
