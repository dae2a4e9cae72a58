using Dapper;
using AgentC2.Agent.Agents;
using Npgsql;

namespace AgentC2.Agent.Runs;

/// <summary>The outcome of creating a run under an idempotency key.</summary>
public abstract record CreateRunResult
{
    public sealed record Created(RunRecord Run) : CreateRunResult;

    /// <summary>The same key and the same request within the window: the earlier run.</summary>
    public sealed record Existing(Guid RunId) : CreateRunResult;

    /// <summary>The same key with a different request within the window.</summary>
    public sealed record KeyReused : CreateRunResult;
}

/// <summary>Runs and their steps in PostgreSQL; every read is scoped by organization.</summary>
internal sealed class RunStore(NpgsqlDataSource dataSource, RunInserts inserts, TimeProvider time)
{
    public static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);

    public const string RunColumns = """
        r.id, r.organization_id, r.agent_id, a.slug AS agent_slug, r.status, r.execution_mode, r.input, r.output,
        r.max_steps, r.metadata::text AS metadata, r.callback_url, r.last_error, r.steps_completed,
        r.input_tokens, r.output_tokens, r.created_at, r.started_at, r.finished_at, r.lease_owner, r.attempts
        """;

    private const string SelectRun = $"SELECT {RunColumns} FROM runs r JOIN agents a ON a.id = r.agent_id";

    private const string SelectSteps = """
        SELECT run_id, step_number, model_tier, messages::text AS messages, input_tokens, output_tokens, duration_ms, created_at
        FROM run_steps WHERE run_id = @id AND step_number > @after ORDER BY step_number
        """;

    // Checkpoints a step unless it already is (a retry): returns its run_id only when it inserted.
    private const string InsertStep = """
        INSERT INTO run_steps (run_id, step_number, model_tier, messages, input_tokens, output_tokens, duration_ms, created_at)
        VALUES (@RunId, @StepNumber, @ModelTier, @Messages::jsonb, @InputTokens, @OutputTokens, @DurationMs, @CreatedAt)
        ON CONFLICT (run_id, step_number) DO NOTHING
        RETURNING run_id
        """;

    /// <summary>Creates the run (committed before this returns), or finds what holds its idempotency key.</summary>
    public async Task<CreateRunResult> CreateAsync(NewRun run, CancellationToken cancellationToken)
    {
        var sync = run.ExecutionMode == ExecutionModes.Sync;
        if (run.IdempotencyKey is null)
        {
            // Nothing can conflict: committed together with the other invocations arriving now.
            var now = time.GetUtcNow();
            return new CreateRunResult.Created(await inserts.InsertAsync(new RunInserts.Row(
                Guid.CreateVersion7(), run, sync ? RunStatus.Running : RunStatus.Queued, now, sync ? now : null)));
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            var now = time.GetUtcNow();
            var created = await connection.QuerySingleOrDefaultAsync<RunRecord>(new CommandDefinition(
                $"""
                WITH r AS (
                    INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, metadata, callback_url,
                                      idempotency_key, request_hash, available_at, created_at, started_at, updated_at, trace_parent)
                    VALUES (@id, @OrganizationId, @AgentId, @status, @ExecutionMode, @Input, @MaxSteps, @Metadata::jsonb, @CallbackUrl,
                            @IdempotencyKey, @RequestHash, @now, @now, @startedAt, @now, @TraceParent)
                    ON CONFLICT (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                    RETURNING *)
                SELECT {RunColumns} FROM r JOIN agents a ON a.id = r.agent_id
                """,
                new
                {
                    id = Guid.CreateVersion7(),
                    run.OrganizationId, run.AgentId, run.ExecutionMode, run.Input, run.MaxSteps, run.Metadata, run.CallbackUrl,
                    run.IdempotencyKey, run.RequestHash, now, run.TraceParent,
                    status = sync ? RunStatus.Running : RunStatus.Queued,
                    startedAt = sync ? now : (DateTimeOffset?)null,
                },
                cancellationToken: cancellationToken));
            if (created is not null)
            {
                return new CreateRunResult.Created(created);
            }

            var existing = await connection.QuerySingleOrDefaultAsync<(Guid Id, byte[]? RequestHash, DateTime CreatedAt)>(new CommandDefinition(
                "SELECT id, request_hash, created_at FROM runs WHERE organization_id = @OrganizationId AND idempotency_key = @IdempotencyKey",
                new { run.OrganizationId, run.IdempotencyKey }, cancellationToken: cancellationToken));
            if (existing.Id == Guid.Empty)
            {
                continue; // the holder of the key was released between the two statements
            }

            if (existing.CreatedAt < now.UtcDateTime - IdempotencyWindow && attempt == 0)
            {
                // The key has expired: release it from the old run and take it.
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE runs SET idempotency_key = NULL WHERE id = @Id", new { existing.Id }, cancellationToken: cancellationToken));
                continue;
            }

            return existing.RequestHash is not null && run.RequestHash is not null && existing.RequestHash.AsSpan().SequenceEqual(run.RequestHash)
                ? new CreateRunResult.Existing(existing.Id)
                : new CreateRunResult.KeyReused();
        }
    }

    public async Task<RunRecord?> FindAsync(Guid organizationId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RunRecord>(new CommandDefinition(
            $"{SelectRun} WHERE r.organization_id = @organizationId AND r.id = @id",
            new { organizationId, id }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// A run by id in any organization (only for the internal step endpoint, which checks the caller's lease), with its
    /// agent (even if deleted since) and its checkpointed steps, in one round trip.
    /// </summary>
    public async Task<(RunRecord Run, AgentDefinition Agent, IReadOnlyList<RunStepRecord> Steps)?> FindForStepAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(
            $"""
            {SelectRun} WHERE r.id = @id;
            SELECT {AgentStore.Columns} FROM agents WHERE id = (SELECT agent_id FROM runs WHERE id = @id);
            {SelectSteps};
            """,
            new { id, after = 0 }, cancellationToken: cancellationToken));
        var run = await results.ReadSingleOrDefaultAsync<RunRecord>();
        var agent = await results.ReadSingleOrDefaultAsync<AgentDefinition>();
        var steps = (await results.ReadAsync<RunStepRecord>()).ToList();
        return run is null || agent is null ? null : (run, agent, steps);
    }

    /// <summary>
    /// Cancels a queued or running run of the organization: a queued run is never claimed, a running one stops at its
    /// next step boundary. Null when the run is not the organization's or had already ended (see <paramref name="found"/>).
    /// </summary>
    public async Task<(RunRecord? Cancelled, RunRecord? Found)> CancelAsync(Guid organizationId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var cancelled = await connection.QuerySingleOrDefaultAsync<RunRecord>(new CommandDefinition(
            $"""
            WITH r AS (
                UPDATE runs SET status = 'cancelled', last_error = 'Cancelled on request.', finished_at = @now, updated_at = @now,
                                lease_owner = NULL, lease_expires_at = NULL
                WHERE organization_id = @organizationId AND id = @id AND status IN ('queued', 'running')
                RETURNING *)
            SELECT {RunColumns} FROM r JOIN agents a ON a.id = r.agent_id
            """,
            new { organizationId, id, now = time.GetUtcNow() }, cancellationToken: cancellationToken));
        return cancelled is not null ? (cancelled, cancelled) : (null, await FindAsync(organizationId, id, cancellationToken));
    }

    public async Task<IReadOnlyList<RunRecord>> ListAsync(Guid organizationId, Guid? agentId, string? status, RunCursor? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunRecord>(new CommandDefinition(
            $"""
            {SelectRun}
            WHERE r.organization_id = @organizationId
              AND (@agentId::uuid IS NULL OR r.agent_id = @agentId::uuid)
              AND (@status::text IS NULL OR r.status = @status::text)
              AND (@afterCreatedAt::timestamptz IS NULL OR (r.created_at, r.id) < (@afterCreatedAt::timestamptz, @afterId::uuid))
            ORDER BY r.created_at DESC, r.id DESC
            LIMIT @limit
            """,
            new { organizationId, agentId, status, afterCreatedAt = after?.CreatedAt, afterId = after?.Id, limit },
            cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>The run's checkpointed steps in order, only those after <paramref name="afterStep"/> when given.</summary>
    public async Task<IReadOnlyList<RunStepRecord>> GetStepsAsync(Guid runId, CancellationToken cancellationToken, int afterStep = 0)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunStepRecord>(new CommandDefinition(
            SelectSteps,
            new { id = runId, after = afterStep }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>
    /// Checkpoints a step and adds its tokens to the run, atomically in one statement, and reads the run's status
    /// (a cancelled run stops at this step boundary). A step that was already saved (a retry) changes nothing.
    /// </summary>
    public async Task<StepSaved> SaveStepAsync(RunStepRecord step, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<StepSaved>(new CommandDefinition(
            $"""
            WITH saved AS (
                {InsertStep}),
            counted AS (
                UPDATE runs SET steps_completed = GREATEST(steps_completed, @StepNumber),
                                input_tokens = input_tokens + @InputTokens, output_tokens = output_tokens + @OutputTokens,
                                updated_at = @CreatedAt
                FROM saved WHERE runs.id = saved.run_id
                RETURNING runs.id)
            SELECT EXISTS (SELECT 1 FROM counted) AS inserted, (SELECT status FROM runs WHERE id = @RunId) AS run_status
            """,
            step, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Checkpoints a run's final step and finishes the run with its output, in one statement (group-committed with other
    /// runs' final steps); returns the finished run, or null when the step was already saved (a retry) or the run had
    /// already ended.
    /// </summary>
    public Task<RunRecord?> SaveFinalStepAsync(RunStepRecord step, string output) => inserts.FinishAsync(step, output);

    /// <summary>
    /// Puts a synchronous run this instance was executing (no worker's lease) into the queue, available now: a worker goes
    /// on from its last checkpointed step. Returns the run as it then is (unchanged when it had ended meanwhile).
    /// </summary>
    public async Task<RunRecord> HandOffAsync(RunRecord run, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RunRecord>(new CommandDefinition(
            $"""
            WITH r AS (
                UPDATE runs SET status = 'queued', available_at = @now, updated_at = @now
                WHERE id = @id AND status = 'running' AND lease_owner IS NULL
                RETURNING *)
            SELECT {RunColumns} FROM r JOIN agents a ON a.id = r.agent_id
            """,
            new { run.Id, now = time.GetUtcNow() }, cancellationToken: cancellationToken))
            ?? (await FindAsync(run.OrganizationId, run.Id, cancellationToken))!;
    }

    /// <summary>Moves a run that is not yet terminal to a terminal status, and returns the run as it then is.</summary>
    public async Task<RunRecord> FinishAsync(RunRecord run, string status, string? output, string? error, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<RunRecord>(new CommandDefinition(
            $"""
            WITH r AS (
                UPDATE runs SET status = @status, output = @output, last_error = @error, finished_at = @now, updated_at = @now,
                                lease_owner = NULL, lease_expires_at = NULL
                WHERE id = @id AND status NOT IN ('succeeded', 'failed', 'cancelled')
                RETURNING *)
            SELECT {RunColumns} FROM r JOIN agents a ON a.id = r.agent_id
            """,
            new { run.Id, status, output, error, now = time.GetUtcNow() }, cancellationToken: cancellationToken))
            ?? (await FindAsync(run.OrganizationId, run.Id, cancellationToken))!;
    }
}

/// <summary>Whether a step was checkpointed by this call, and the run's status as the step ended.</summary>
public sealed record StepSaved(bool Inserted, string RunStatus);

/// <summary>A position in the runs list (newest first): the last run of the previous page.</summary>
public sealed record RunCursor(DateTime CreatedAt, Guid Id)
{
    public string Encode() =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{CreatedAt.Ticks}:{Id:N}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static RunCursor? TryDecode(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 128)
        {
            return null;
        }

        try
        {
            var padded = value.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split(':');
            return parts.Length == 2 && long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var ticks)
                && ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks && Guid.TryParseExact(parts[1], "N", out var id)
                ? new RunCursor(new DateTime(ticks, DateTimeKind.Utc), id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
