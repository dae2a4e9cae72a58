using System.Threading.Channels;
using Dapper;
using Npgsql;

namespace AgentC2.Agent.Runs;

/// <summary>
/// Group commit for new runs: concurrent invocations are inserted together, one statement and one commit for a whole
/// batch, so the database's flush rate rather than the number of runs bounds how fast runs are accepted. A batch
/// forms from whatever is waiting while the previous one commits (no added wait when the service is idle), and each
/// caller's run is returned only after the commit that holds it. A failed batch fails every caller in it, and none of
/// its runs exists.
/// </summary>
internal sealed class RunInserts : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private const int Writers = 2;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _writers;

    public RunInserts(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _writers = [.. Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteAsync))];
    }

    /// <summary>Inserts a run (no idempotency key: nothing can conflict) and returns it once committed.</summary>
    public Task<RunRecord> InsertAsync(Row row)
    {
        var pending = new Pending(row, new TaskCompletionSource<RunRecord>(TaskCreationOptions.RunContinuationsAsynchronously));
        return _pending.Writer.TryWrite(pending) ? pending.Inserted.Task : Task.FromException<RunRecord>(new ObjectDisposedException(nameof(RunInserts)));
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private async Task WriteAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                var inserted = (await InsertBatchAsync(batch)).ToDictionary(r => r.Id);
                foreach (var pending in batch)
                {
                    pending.Inserted.TrySetResult(inserted[pending.Row.Id]);
                }
            }
            catch (Exception exception)
            {
                foreach (var pending in batch)
                {
                    pending.Inserted.TrySetException(exception);
                }
            }
        }
    }

    private async Task<IEnumerable<RunRecord>> InsertBatchAsync(List<Pending> batch)
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        var rows = batch.Select(p => p.Row).ToList();
        return await connection.QueryAsync<RunRecord>(
            $"""
            WITH r AS (
                INSERT INTO runs (id, organization_id, agent_id, status, execution_mode, input, max_steps, metadata, callback_url,
                                  available_at, created_at, started_at, updated_at)
                SELECT id, organization_id, agent_id, status, execution_mode, input, max_steps, metadata::jsonb, callback_url,
                       created_at, created_at, started_at, created_at
                FROM unnest(@ids::uuid[], @organizations::uuid[], @agents::uuid[], @statuses::text[], @modes::text[], @inputs::text[],
                            @maxSteps::int[], @metadata::text[], @callbacks::text[], @createdAt::timestamptz[], @startedAt::timestamptz[])
                     AS n (id, organization_id, agent_id, status, execution_mode, input, max_steps, metadata, callback_url, created_at, started_at)
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
            });
    }

    /// <summary>A run to insert, with its id, initial status and times decided by the caller.</summary>
    public sealed record Row(Guid Id, NewRun Run, string Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt);

    private sealed record Pending(Row Row, TaskCompletionSource<RunRecord> Inserted);
}
