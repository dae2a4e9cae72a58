using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AgentC2.ServiceDefaults.Logging;

internal static class LoggingExtensions
{
    private const string FormatterKey = "Logging:Console:FormatterName";

    /// <summary>
    /// One JSON object per line (timestamp, level, category, message, state, scopes with the trace
    /// and span ids) outside Development; readable text in Development. <c>Logging:Console:FormatterName</c>
    /// (<c>json</c>, <c>simple</c>, <c>systemd</c>) overrides the choice in any environment.
    /// </summary>
    public static void AddStructuredConsoleLogging(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<JsonConsoleFormatterOptions>(options =>
        {
            options.IncludeScopes = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });

        if (string.IsNullOrWhiteSpace(builder.Configuration[FormatterKey]) && !builder.Environment.IsDevelopment())
        {
            builder.Logging.AddJsonConsole();
        }
    }
}
