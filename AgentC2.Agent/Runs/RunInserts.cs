using AgentC2.Agent.Data;
using Dapper;
using Npgsql;

namespace AgentC2.Agent.Runs;

/// <summary>
/// The writes every run makes, group-committed (<see cref="GroupCommit{TItem, TResult}"/>): creating a run without an
/// idempotency key (nothing can conflict), and checkpointing a run's final step together with finishing the run.
/// </summary>
internal sealed class RunInserts : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly GroupCommit<Row, RunRecord> _creations;
    private readonly GroupCommit<FinalStep, RunRecord?> _finalSteps;

    public RunInserts(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _creations = new GroupCommit<Row, RunRecord>(CreateBatchAsync);
        _finalSteps = new GroupCommit<FinalStep, RunRecord?>(FinishBatchAsync);
    }

    /// <summary>Inserts a run and returns it once committed.</summary>
    public Task<RunRecord> InsertAsync(Row row) => _creations.WriteAsync(row);

    /// <summary>
    /// Checkpoints a final step and finishes its run with <paramref name="output"/>; null when the step was already saved
    /// (a retry) or the run had already ended (cancelled).
    /// </summary>
    public Task<RunRecord?> FinishAsync(RunStepRecord step, string output) => _finalSteps.WriteAsync(new FinalStep(step, output));

    public async ValueTask DisposeAsync()
    {
        await _creations.DisposeAsync();
        await _finalSteps.DisposeAsync();
    }

    private async Task<IReadOnlyList<RunRecord>> CreateBatchAsync(IReadOnlyList<Row> rows)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var created = (await connection.QueryAsync<RunRecord>(
            $"""
            WITH r AS (
                INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, metadata, callback_url,
                                  available_at, created_at, started_at, updated_at, trace_parent)
                SELECT id, organization_id, agent_id, status, execution_mode, input, max_steps, metadata::jsonb, callback_url,
                       created_at, created_at, started_at, created_at, trace_parent
                FROM unnest(@ids::uuid[], @organizations::uuid[], @agents::uuid[], @statuses::text[], @modes::text[], @inputs::text[],
                            @maxSteps::int[], @metadata::text[], @callbacks::text[], @createdAt::timestamptz[], @startedAt::timestamptz[],
                            @traceParents::text[])
                     AS n (id, organization_id, agent_id, status, execution_mode, input, max_steps, metadata, callback_url, created_at, started_at,
                           trace_parent)
                RETURNING *)
            SELECT {RunStore.RunColumns} FROM r JOIN agents a ON a.id = r.agent_id
            """,
            new
            {
                ids = rows.Select(r => r.Id).ToArray(),
                organizations = rows.Select(r => r.Run.OrganizationId).ToArray(),
                agents = rows.Select(r => r.Run.AgentId).ToArray(),
                statuses = rows.Select(r => r.Status).ToArray(),
                modes = rows.Select(r => r.Run.ExecutionMode).ToArray(),
                inputs = rows.Select(r => r.Run.Input).ToArray(),
                maxSteps = rows.Select(r => r.Run.MaxSteps).ToArray(),
                metadata = rows.Select(r => r.Run.Metadata).ToArray(),
                callbacks = rows.Select(r => r.Run.CallbackUrl).ToArray(),
                createdAt = rows.Select(r => r.CreatedAt.UtcDateTime).ToArray(),
                startedAt = rows.Select(r => r.StartedAt?.UtcDateTime).ToArray(),
                traceParents = rows.Select(r => r.Run.TraceParent).ToArray(),
            })).ToDictionary(r => r.Id);
        return [.. rows.Select(r => created[r.Id])];
    }

    private async Task<IReadOnlyList<RunRecord?>> FinishBatchAsync(IReadOnlyList<FinalStep> steps)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();

        // Planned for this batch every time, in the same round trip: the statement is prepared, and a generic plan cached
        // while runs was small updates it through a scan of the whole table until the next ANALYZE (docs/performance.md).
        await using var results = await connection.QueryMultipleAsync(
            $"""
            {DependencyExtensions.PlanEachExecution};
            WITH n AS (
                SELECT * FROM unnest(@runIds::uuid[], @numbers::int[], @tiers::text[], @messages::text[], @inputTokens::int[],
                                     @outputTokens::int[], @durations::float8[], @createdAt::timestamptz[], @outputs::text[])
                     AS n (run_id, step_number, model_tier, messages, input_tokens, output_tokens, duration_ms, created_at, output)),
            saved AS (
                INSERT INTO run_steps (run_id, step_number, model_tier, messages, input_tokens, output_tokens, duration_ms, created_at)
                SELECT run_id, step_number, model_tier, messages::jsonb, input_tokens, output_tokens, duration_ms, created_at FROM n
                ON CONFLICT (run_id, step_number) DO NOTHING
                RETURNING run_id),
            r AS (
                UPDATE runs SET steps_completed = GREATEST(runs.steps_completed, n.step_number),
                                input_tokens = runs.input_tokens + n.input_tokens, output_tokens = runs.output_tokens + n.output_tokens,
                                status = 'succeeded', output = n.output, last_error = NULL, finished_at = n.created_at, updated_at = n.created_at,
                                lease_owner = NULL, lease_expires_at = NULL
                FROM saved JOIN n ON n.run_id = saved.run_id
                WHERE runs.id = saved.run_id AND runs.status NOT IN ('succeeded', 'failed', 'cancelled')
                RETURNING runs.*)
            SELECT {RunStore.RunColumns} FROM r JOIN agents a ON a.id = r.agent_id
            """,
            new
            {
                runIds = steps.Select(s => s.Step.RunId).ToArray(),
                numbers = steps.Select(s => s.Step.StepNumber).ToArray(),
                tiers = steps.Select(s => s.Step.ModelTier).ToArray(),
                messages = steps.Select(s => s.Step.Messages).ToArray(),
                inputTokens = steps.Select(s => s.Step.InputTokens).ToArray(),
                outputTokens = steps.Select(s => s.Step.OutputTokens).ToArray(),
                durations = steps.Select(s => s.Step.DurationMs).ToArray(),
                createdAt = steps.Select(s => s.Step.CreatedAt).ToArray(),
                outputs = steps.Select(s => s.Output).ToArray(),
            });
        await results.ReadAsync();
        var finished = (await results.ReadAsync<RunRecord>()).ToDictionary(r => r.Id);
        return [.. steps.Select(s => finished.GetValueOrDefault(s.Step.RunId))];
    }

    /// <summary>A run to insert, with its id, initial status and times decided by the caller.</summary>
    public sealed record Row(Guid Id, NewRun Run, string Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt);

    private sealed record FinalStep(RunStepRecord Step, string Output);
}
