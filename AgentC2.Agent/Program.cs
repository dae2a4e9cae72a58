var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAgentC2Database();
builder.AddAgentC2Redis();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapDefaultEndpoints();

app.Run();
