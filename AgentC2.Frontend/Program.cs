using AgentC2.Frontend.AgentApi;
using AgentC2.Frontend.Console;

if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAgentC2Redis();
builder.AddAgentApi();
builder.AddConsole();

var app = builder.Build();

app.UseConsole();

app.MapDefaultEndpoints();
app.MapConsole();

app.Run();
return 0;
