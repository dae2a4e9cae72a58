using AgentC2.Agent;
using AgentC2.Agent.Errors;
using AgentC2.Agent.RateLimiting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAgentServices();

var app = builder.Build();

app.UseApiErrorHandling();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapAgentApis();
app.WarnWhenLimitsAreLocal();

app.Run();
