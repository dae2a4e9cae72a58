using AgentC2.McpSample;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// A small MCP server over stdio with deterministic tools, offered by the AgentC2 catalog as "samples".
var builder = Host.CreateApplicationBuilder(args);

// stdout carries the protocol: every log line goes to stderr.
builder.Logging.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.SetMinimumLevel(LogLevel.Warning);

builder.Services.AddMcpServer()
    .WithStdioServerTransport()
    .WithTools<SampleTools>();

await builder.Build().RunAsync();
