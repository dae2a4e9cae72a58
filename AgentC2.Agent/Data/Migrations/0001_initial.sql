-- AgentC2 schema, version 1: tenancy, agents, runs (which are also the queue) and their steps.

CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Only a SHA-256 hash of each key is stored; the key itself is shown once, when it is issued.
CREATE TABLE api_keys (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name             text NOT NULL,
    prefix           text NOT NULL,
    key_hash         bytea NOT NULL UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz
);
CREATE INDEX api_keys_by_organization ON api_keys (organization_id);

-- Deleted agents are kept (deleted_at) so the runs that used them stay readable; a slug is
-- unique among an organization's live agents.
CREATE TABLE agents (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    slug             text NOT NULL,
    name             text NOT NULL,
    instructions     text NOT NULL DEFAULT '',
    model_tier       text NOT NULL DEFAULT 'auto',
    max_steps        integer NOT NULL,
    tools            text[] NOT NULL DEFAULT '{}',
    mcp_servers      text[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE UNIQUE INDEX agents_slug_per_organization ON agents (organization_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE runs (
    id                uuid PRIMARY KEY,
    organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    agent_id          uuid NOT NULL REFERENCES agents (id),
    status            text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    execution_mode    text NOT NULL CHECK (execution_mode IN ('sync', 'async')),
    input             text NOT NULL,
    output            text,
    max_steps         integer NOT NULL,
    metadata          jsonb,
    callback_url      text,
    idempotency_key   text,
    request_hash      bytea,
    attempts          integer NOT NULL DEFAULT 0,
    max_attempts      integer NOT NULL DEFAULT 5,
    available_at      timestamptz NOT NULL DEFAULT now(),
    lease_owner       text,
    lease_expires_at  timestamptz,
    last_error        text,
    steps_completed   integer NOT NULL DEFAULT 0,
    input_tokens      bigint NOT NULL DEFAULT 0,
    output_tokens     bigint NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX runs_idempotency_key ON runs (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_by_organization ON runs (organization_id, created_at DESC, id DESC);
CREATE INDEX runs_by_agent ON runs (agent_id, created_at DESC, id DESC);
CREATE INDEX runs_queued ON runs (available_at, created_at) WHERE status = 'queued';

-- One row per completed step; the primary key makes a retried step a no-op, never a duplicate.
CREATE TABLE run_steps (
    run_id         uuid NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step_number    integer NOT NULL,
    model_tier     text NOT NULL,
    messages       jsonb NOT NULL,
    input_tokens   integer NOT NULL,
    output_tokens  integer NOT NULL,
    duration_ms    double precision NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, step_number)
);
