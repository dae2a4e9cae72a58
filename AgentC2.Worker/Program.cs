using AgentC2.Worker;

// The worker drains the run queue and the webhook outbox; it serves HTTP only for its probes and metrics.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWorkerServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();

app.Run();
