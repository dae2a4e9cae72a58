// An MCP server (stdio) that misbehaves on purpose, for the agent's bad-input tests. Its first argument says how:
//   garbage     prints lines that are not JSON-RPC on stdout, then serves normally
//   huge        serves a tool "huge" whose result is 2 MB of text, 20 images of 300 kB and a resource link
//   bad-schema  lists tools whose input schemas are not valid JSON Schema objects
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const mode = process.argv[2] ?? "garbage";
if (mode === "garbage") {
  process.stdout.write("this is not JSON-RPC\n{\"jsonrpc\": 7, \"garbage\": true}\n\u0000\u0001 binary noise\n");
}

const server = new Server({ name: "misbehaving", version: "1.0.0" }, { capabilities: { tools: {} } });
const tools = {
  garbage: [{ name: "ping", description: "Answers pong.", inputSchema: { type: "object", properties: {} } }],
  huge: [{ name: "huge", description: "Returns far too much.", inputSchema: { type: "object", properties: {} } }],
  "bad-schema": [
    { name: "stringly", description: "Schema of the wrong type.", inputSchema: { type: "string" } },
    { name: "broken", description: "Properties that are not an object.", inputSchema: { type: "object", properties: 5, required: "yes" } },
  ],
}[mode];
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  if (request.params.name === "huge") {
    const image = Buffer.alloc(300 * 1024, 7).toString("base64");
    return {
      content: [
        { type: "text", text: "x".repeat(2 * 1024 * 1024) },
        ...Array.from({ length: 20 }, () => ({ type: "image", mimeType: "image/png", data: image })),
        { type: "resource_link", uri: "file:///reports/huge.txt", name: "huge.txt", mimeType: "text/plain" },
      ],
    };
  }
  return { content: [{ type: "text", text: `pong from ${request.params.name}` }] };
});
await server.connect(new StdioServerTransport());
