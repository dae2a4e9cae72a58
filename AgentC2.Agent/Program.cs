using AgentC2.Agent;
using AgentC2.Agent.Errors;
using AgentC2.Agent.RateLimiting;
using AgentC2.ServiceDefaults.Health;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAgentServices();

var app = builder.Build();

app.UseApiErrorHandling();
app.UseSchemaGate();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapAgentApis();
app.WarnWhenLimitsAreLocal();

app.Run();
return 0;
