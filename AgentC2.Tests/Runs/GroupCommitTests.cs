extern alias AgentService;
using AgentService::AgentC2.Agent.Data;

namespace AgentC2.Tests.Runs;

/// <summary>Group commit's batching, with a batch writer the test controls (no database).</summary>
public sealed class GroupCommitTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Writes_that_arrive_while_the_batches_in_flight_commit_form_the_next_batch_and_each_caller_gets_its_own_result()
    {
        using var held = new HeldBatches();
        await using var group = new GroupCommit<int, string>(held.WriteAsync);
        var (first, second, waiting) = await WhileTwoBatchesAreHeldAsync(group, held);

        // Nobody is answered before the commit that holds their write.
        Assert.False(first.IsCompleted);
        held.Commit(0);
        Assert.Equal("row 1", await first.WaitAsync(Bound));
        await held.StartedAsync();
        Assert.False(second.IsCompleted);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        held.Commit(1);
        held.Commit(2);

        Assert.Equal("row 2", await second.WaitAsync(Bound));
        Assert.Equal(["row 3", "row 4", "row 5"], await Task.WhenAll(waiting).WaitAsync(Bound));
        Assert.Equal([[1], [2], [3, 4, 5]], held.Batches);
    }

    [Fact]
    public async Task A_failed_batch_fails_every_caller_in_it_and_the_next_batch_is_written()
    {
        using var held = new HeldBatches();
        await using var group = new GroupCommit<int, string>(held.WriteAsync);
        var (first, second, waiting) = await WhileTwoBatchesAreHeldAsync(group, held);
        held.Commit(0);
        await held.StartedAsync();
        held.Fail(2, new InvalidOperationException("the statement failed"));

        foreach (var caller in waiting)
        {
            var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => caller.WaitAsync(Bound));
            Assert.Equal("the statement failed", failed.Message);
        }

        held.Commit(1);
        Assert.Equal("row 1", await first.WaitAsync(Bound));
        Assert.Equal("row 2", await second.WaitAsync(Bound));
        var next = group.WriteAsync(6);
        await held.StartedAsync();
        held.Commit(3);
        Assert.Equal("row 6", await next.WaitAsync(Bound));
        Assert.Equal([[1], [2], [3, 4, 5], [6]], held.Batches);
    }

    [Fact]
    public async Task A_write_after_disposal_is_refused()
    {
        var group = new GroupCommit<int, int>(items => Task.FromResult<IReadOnlyList<int>>([.. items]));
        await group.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => group.WriteAsync(1));
    }

    /// <summary>
    /// Writes 1 and 2, each in its own batch held by one of the two writers, then 3, 4 and 5, which wait for a writer.
    /// </summary>
    private static async Task<(Task<string> First, Task<string> Second, Task<string>[] Waiting)> WhileTwoBatchesAreHeldAsync(
        GroupCommit<int, string> group, HeldBatches held)
    {
        var first = group.WriteAsync(1);
        await held.StartedAsync();
        var second = group.WriteAsync(2);
        await held.StartedAsync();
        return (first, second, [group.WriteAsync(3), group.WriteAsync(4), group.WriteAsync(5)]);
    }

    /// <summary>A batch writer that records each batch and holds it until the test commits or fails it.</summary>
    private sealed class HeldBatches : IDisposable
    {
        private readonly List<int[]> _batches = [];
        private readonly List<TaskCompletionSource> _commits = [];
        private readonly SemaphoreSlim _started = new(0);

        public IReadOnlyList<int[]> Batches
        {
            get
            {
                lock (_batches)
                {
                    return [.. _batches];
                }
            }
        }

        public async Task<IReadOnlyList<string>> WriteAsync(IReadOnlyList<int> items)
        {
            var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_batches)
            {
                _batches.Add([.. items]);
                _commits.Add(commit);
            }

            _started.Release();

            // Held within the bound: a test that fails midway still lets the writers, and so the group's disposal, finish.
            await commit.Task.WaitAsync(Bound);
            return [.. items.Select(i => $"row {i}")];
        }

        /// <summary>Returns once one more batch has reached the writer.</summary>
        public async Task StartedAsync() => Assert.True(await _started.WaitAsync(Bound));

        public void Commit(int batch) => Held(batch).SetResult();

        public void Fail(int batch, Exception exception) => Held(batch).SetException(exception);

        public void Dispose() => _started.Dispose();

        private TaskCompletionSource Held(int batch)
        {
            lock (_batches)
            {
                return _commits[batch];
            }
        }
    }
}
