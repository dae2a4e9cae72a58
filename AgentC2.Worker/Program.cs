using AgentC2.Worker;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

// The worker drains the run queue and the webhook outbox; it serves HTTP only for its probes and metrics.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddWorkerServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();

app.Run();
return 0;
