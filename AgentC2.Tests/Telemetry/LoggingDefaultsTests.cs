extern alias ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using ServiceDefaults::AgentC2.ServiceDefaults.Logging;

namespace AgentC2.Tests.Telemetry;

public sealed class LoggingDefaultsTests
{
    [Theory]
    [InlineData("Production", null, "json")]
    [InlineData("Staging", null, "json")]
    [InlineData("Development", null, "simple")]
    [InlineData("Production", "simple", "simple")]
    [InlineData("Development", "json", "json")]
    public void Console_logs_are_json_outside_development_unless_configured(string environment, string? configured, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment, DisableDefaults = false });
        if (configured is not null)
        {
            builder.Configuration["Logging:Console:FormatterName"] = configured;
        }

        builder.AddStructuredConsoleLogging();
        using var host = builder.Build();

        var formatter = host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName ?? "simple";
        Assert.Equal(expected, formatter);
        var json = host.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
        Assert.True(json.IncludeScopes);
        Assert.True(json.UseUtcTimestamp);
    }
}
