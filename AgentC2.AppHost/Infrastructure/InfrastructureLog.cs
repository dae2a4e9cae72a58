using Microsoft.Extensions.Logging;

namespace AgentC2.AppHost.Infrastructure;

internal static partial class InfrastructureLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "AgentC2 infrastructure mode: {Mode} (set {Key} to auto, containers or local)")]
    public static partial void ModeSelected(ILogger logger, InfrastructureMode mode, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL data folder: {DataDirectory}")]
    public static partial void DataFolder(ILogger logger, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Initialising a new PostgreSQL data folder in {DataDirectory}")]
    public static partial void InitializingDataDirectory(ILogger logger, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "initdb: {Output}")]
    public static partial void InitdbOutput(ILogger logger, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping an orphaned PostgreSQL server (pid {Pid}) that still holds {DataDirectory}")]
    public static partial void StoppingOrphan(ILogger logger, int pid, string dataDirectory);
}
