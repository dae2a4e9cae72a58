using System.Threading.Channels;

namespace AgentC2.Agent.Data;

/// <summary>
/// Group commit: concurrent writes of one kind are executed together, one statement and one commit for a whole batch,
/// so the database's flush rate rather than the number of writers bounds throughput. A batch forms from whatever is
/// waiting while the previous one commits (no added wait when the service is idle); each caller's result is returned
/// only after the commit that holds it, and a failed batch fails every caller in it (its statement wrote nothing).
/// </summary>
/// <param name="executeBatch">Writes a batch in one statement; returns one result per item, in the items' order.</param>
internal sealed class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private const int Writers = 2;

    private readonly Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> _executeBatch;
    private readonly Channel<(TItem Item, TaskCompletionSource<TResult> Done)> _pending = Channel.CreateUnbounded<(TItem, TaskCompletionSource<TResult>)>();
    private readonly Task[] _writers;

    public GroupCommit(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> executeBatch)
    {
        _executeBatch = executeBatch;
        _writers = [.. Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteAsync))];
    }

    public Task<TResult> WriteAsync(TItem item)
    {
        var done = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _pending.Writer.TryWrite((item, done)) ? done.Task : Task.FromException<TResult>(new ObjectDisposedException(nameof(GroupCommit<TItem, TResult>)));
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private async Task WriteAsync()
    {
        var batch = new List<(TItem Item, TaskCompletionSource<TResult> Done)>(MaxBatch);
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
                var results = await _executeBatch([.. batch.Select(b => b.Item)]);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
            }
            catch (Exception exception)
            {
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(exception);
                }
            }
        }
    }
}
