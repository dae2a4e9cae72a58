-- AgentC2 schema, version 2: the run queue's indexes and wake-ups, per-organization webhook
-- secrets, and the webhook outbox.

-- Each organization signs its webhooks with its own secret (Standard Webhooks "whsec_" form, 32 bytes).
ALTER TABLE organizations ADD COLUMN webhook_secret text NOT NULL
    DEFAULT ('whsec_' || encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), 'base64'));

-- FIFO within an organization, and the organization's leased (running async) runs for its cap.
CREATE INDEX runs_queued_by_organization ON runs (organization_id, created_at, id) WHERE status = 'queued';
CREATE INDEX runs_leased ON runs (lease_expires_at) WHERE status = 'running' AND lease_owner IS NOT NULL;
CREATE INDEX runs_leased_by_organization ON runs (organization_id) WHERE status = 'running' AND lease_owner IS NOT NULL;
DROP INDEX runs_queued;

-- A run that becomes claimable wakes idle workers (delivered at commit; repeats within one transaction fold into one).
CREATE FUNCTION agentc2_run_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('agentc2_runs', '');
    RETURN NULL;
END $$;

CREATE TRIGGER runs_inserted_queued AFTER INSERT ON runs
    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION agentc2_run_queued();
CREATE TRIGGER runs_requeued AFTER UPDATE OF status ON runs
    FOR EACH ROW WHEN (NEW.status = 'queued' AND OLD.status <> 'queued') EXECUTE FUNCTION agentc2_run_queued();

-- The webhook outbox: a run with a callback URL that reaches a terminal status gets exactly one
-- delivery row, written in the transaction that ended the run, whichever code path ended it.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    run_id           uuid NOT NULL UNIQUE REFERENCES runs (id) ON DELETE CASCADE,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url              text NOT NULL,
    event_type       text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    available_at     timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (available_at) WHERE status = 'pending';

-- Every delivery attempt, as the receiver answered it (or why it could not be reached).
CREATE TABLE webhook_attempts (
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    started_at   timestamptz NOT NULL,
    duration_ms  double precision NOT NULL,
    status_code  integer,
    error        text,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE FUNCTION agentc2_run_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (id, run_id, organization_id, url, event_type, status, available_at, created_at)
    VALUES (gen_random_uuid(), NEW.id, NEW.organization_id, NEW.callback_url, 'run.' || NEW.status, 'pending', now(), now())
    ON CONFLICT (run_id) DO NOTHING;
    PERFORM pg_notify('agentc2_webhooks', '');
    RETURN NULL;
END $$;

CREATE TRIGGER runs_ended_with_callback AFTER UPDATE OF status ON runs
    FOR EACH ROW WHEN (NEW.callback_url IS NOT NULL
                       AND NEW.status IN ('succeeded', 'failed', 'cancelled')
                       AND OLD.status NOT IN ('succeeded', 'failed', 'cancelled'))
    EXECUTE FUNCTION agentc2_run_ended();
