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
        var batches = new List<int[]>();
        var commits = new List<TaskCompletionSource>();
        var started = new SemaphoreSlim(0);
        await using var group = new GroupCommit<int, string>(async items =>
        {
            var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (batches)
            {
                batches.Add([.. items]);
                commits.Add(commit);
            }

            started.Release();
            await commit.Task;
            return [.. items.Select(i => $"row {i}")];
        });

        // Two batches commit at once; what arrives meanwhile waits for one of them and goes together.
        var first = group.WriteAsync(1);
        Assert.True(await started.WaitAsync(Bound));
        var second = group.WriteAsync(2);
        Assert.True(await started.WaitAsync(Bound));
        var waiting = new[] { group.WriteAsync(3), group.WriteAsync(4), group.WriteAsync(5) };

        // Nobody is answered before the commit that holds their write.
        Assert.False(first.IsCompleted);
        Commit(0);
        Assert.Equal("row 1", await first.WaitAsync(Bound));
        Assert.True(await started.WaitAsync(Bound));
        Assert.False(second.IsCompleted);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Commit(1);
        Commit(2);

        Assert.Equal("row 2", await second.WaitAsync(Bound));
        Assert.Equal(["row 3", "row 4", "row 5"], await Task.WhenAll(waiting).WaitAsync(Bound));
        Assert.Equal([[1], [2], [3, 4, 5]], batches);

        void Commit(int batch)
        {
            lock (batches)
            {
                commits[batch].SetResult();
            }
        }
    }

    [Fact]
    public async Task A_failed_batch_fails_every_caller_in_it_and_the_next_batch_is_written()
    {
        var calls = 0;
        await using var group = new GroupCommit<int, int>(items =>
            Interlocked.Increment(ref calls) == 1
                ? Task.FromException<IReadOnlyList<int>>(new InvalidOperationException("the statement failed"))
                : Task.FromResult<IReadOnlyList<int>>([.. items.Select(i => i * 10)]));

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => group.WriteAsync(1).WaitAsync(Bound));
        Assert.Equal("the statement failed", failed.Message);
        Assert.Equal(20, await group.WriteAsync(2).WaitAsync(Bound));
    }

    [Fact]
    public async Task A_write_after_disposal_is_refused()
    {
        var group = new GroupCommit<int, int>(items => Task.FromResult<IReadOnlyList<int>>([.. items]));
        await group.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => group.WriteAsync(1));
    }
}
