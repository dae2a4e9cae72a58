-- AgentC2 schema, version 4: the MCP servers each organization has enabled: a stdio server of the operator's
-- catalog (by name), or an HTTP (streamable HTTP) server by URL with an optional auth header (never returned).
CREATE TABLE mcp_servers (
    id               uuid PRIMARY KEY,
    organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name             text NOT NULL,
    catalog          text,
    url              text,
    auth_header      text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, name),
    CHECK ((catalog IS NULL) <> (url IS NULL))
);
