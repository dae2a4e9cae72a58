extern alias AgentService;
using AgentService::AgentC2.Agent.Data;
using AgentC2.Tests.Fixtures;
using Npgsql;

namespace AgentC2.Tests.Migrations;

/// <summary>
/// Replicas migrate while other services already query the database: a migration script that loses a deadlock is
/// applied again on the next attempt instead of stopping the instance; a broken script still stops it.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class MigrationRetryTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_deadlocked_migration_is_retried_and_a_broken_one_is_not()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        await using var first = await fixture.OpenDatabaseAsync();
        await using var second = await fixture.OpenDatabaseAsync();
        await first.ExecuteAsync($"CREATE TABLE deadlock_a_{suffix} (id int); CREATE TABLE deadlock_b_{suffix} (id int)");
        try
        {
            // Two transactions taking the same two locks in opposite orders: PostgreSQL ends one of them.
            await first.ExecuteAsync($"BEGIN; LOCK TABLE deadlock_a_{suffix}");
            await second.ExecuteAsync($"BEGIN; LOCK TABLE deadlock_b_{suffix}");
            var crossed = Task.WhenAll(
                first.ExecuteAsync($"LOCK TABLE deadlock_b_{suffix}"),
                second.ExecuteAsync($"LOCK TABLE deadlock_a_{suffix}"));
            var deadlock = await Assert.ThrowsAsync<PostgresException>(() => crossed.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(PostgresErrorCodes.DeadlockDetected, deadlock.SqlState);
            Assert.True(DatabaseInitializer.IsTransient(deadlock));

            await first.ExecuteAsync("ROLLBACK");
            await second.ExecuteAsync("ROLLBACK");
            var broken = await Assert.ThrowsAsync<PostgresException>(() => first.ExecuteAsync("CREATE TABLLE nothing (id int)"));
            Assert.False(DatabaseInitializer.IsTransient(broken));
        }
        finally
        {
            await using var cleanup = await fixture.OpenDatabaseAsync();
            await cleanup.ExecuteAsync($"DROP TABLE IF EXISTS deadlock_a_{suffix}, deadlock_b_{suffix}");
        }
    }
}
