-- The W3C trace context (traceparent) of the request that created a run, so that every step of it (in the agent, in
-- the worker, over however many attempts), its tool and model calls and its webhook are spans of that one trace.
ALTER TABLE runs ADD COLUMN trace_parent text;
