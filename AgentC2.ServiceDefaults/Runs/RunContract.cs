namespace AgentC2;

/// <summary>
/// A run's status, as the agent stores it, the worker drives it and the console shows it (the <c>runs.status</c> column
/// accepts exactly these values).
/// </summary>
public static class RunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static readonly string[] All = [Queued, Running, Succeeded, Failed, Cancelled];

    public static bool IsTerminal(string status) => status is Succeeded or Failed or Cancelled;
}

/// <summary>How a run executes: answered in the invoke (sync) or on the durable queue (async).</summary>
public static class ExecutionModes
{
    public const string Sync = "sync";
    public const string Async = "async";
}

/// <summary>The worker's request for the next step of a run it has leased.</summary>
public sealed record StepRequest(string LeaseOwner);

/// <summary>
/// What one step did: the run's status afterwards (<see cref="RunStatus.Running"/> while more steps are due) and the
/// number of the step just checkpointed (0 when none ran because the run had already ended).
/// </summary>
public sealed record StepResponse(Guid RunId, string Status, int StepNumber);
