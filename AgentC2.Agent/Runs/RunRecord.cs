namespace AgentC2.Agent.Runs;

/// <summary>A run as stored: the request, its progress and its result (and, for async runs, its lease).</summary>
public sealed record RunRecord(
    Guid Id,
    Guid OrganizationId,
    Guid AgentId,
    string AgentSlug,
    string Status,
    string ExecutionMode,
    string Input,
    string? Output,
    int MaxSteps,
    string? Metadata,
    string? CallbackUrl,
    string? LastError,
    int StepsCompleted,
    long InputTokens,
    long OutputTokens,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    string? LeaseOwner,
    int Attempts);

/// <summary>A completed step: the messages it added to the conversation (JSON), its tier and token use.</summary>
public sealed record RunStepRecord(
    Guid RunId,
    int StepNumber,
    string ModelTier,
    string Messages,
    int InputTokens,
    int OutputTokens,
    double DurationMs,
    DateTime CreatedAt);

/// <summary>What a new run is created with.</summary>
public sealed record NewRun(
    Guid OrganizationId,
    Guid AgentId,
    string ExecutionMode,
    string Input,
    int MaxSteps,
    string? Metadata,
    string? CallbackUrl,
    string? IdempotencyKey,
    byte[]? RequestHash,
    string? TraceParent = null);

/// <summary>The <c>error</c> of runs that did not finish, as clients read it.</summary>
public static class RunErrors
{
    public static string MaxStepsReached(int maxSteps) => $"The model had not finished after maxSteps ({maxSteps}) steps.";

    /// <summary>Why a step failed: what the model endpoint did (<see cref="Models.ModelCallException"/>), else the failure's kind.</summary>
    public static string StepFailed(Exception exception) =>
        exception is Models.ModelCallException ? exception.Message : $"The model or a tool failed ({exception.GetType().Name}).";
}
