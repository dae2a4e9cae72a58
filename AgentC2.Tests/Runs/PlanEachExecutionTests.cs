extern alias ServiceDefaults;

using AgentC2.Tests.Fixtures;
using Npgsql;
using DependencyExtensions = ServiceDefaults::Microsoft.Extensions.Hosting.DependencyExtensions;

namespace AgentC2.Tests.Runs;

/// <summary>
/// The statement the run-finishing batch and the queue claim start with: the statements after it are planned for their own
/// parameters on every execution, even once prepared, and the pooled connection keeps the default afterwards.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class PlanEachExecutionTests(AppHostFixture fixture)
{
    private const int Executions = 12;

    [Fact]
    public async Task Statements_after_it_never_run_a_cached_generic_plan_and_the_connection_keeps_auto()
    {
        // As the services connect (statements prepared after a few uses, connections not reset), on one pooled connection.
        var settings = new NpgsqlConnectionStringBuilder(await fixture.App.GetConnectionStringAsync(AgentC2.ResourceNames.Database)) { MaxPoolSize = 1 };
        DependencyExtensions.UsePooledStatements(settings);
        await using var dataSource = NpgsqlDataSource.Create(settings);

        // The same lookup by primary key twice, told apart by its status; only the first comes after the statement.
        var planned = $"{DependencyExtensions.PlanEachExecution}; SELECT count(*) FROM runs WHERE id = @id AND status = 'queued'";
        var cached = "SELECT 1; SELECT count(*) FROM runs WHERE id = @id AND status = 'running'";
        foreach (var sql in new[] { planned, cached })
        {
            for (var i = 0; i < Executions; i++)
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                await using var command = new NpgsqlCommand(sql, connection);
                command.Parameters.AddWithValue("id", Guid.NewGuid());
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.NextResultAsync())
                {
                }
            }
        }

        await using var session = await dataSource.OpenConnectionAsync();
        Assert.Equal("auto", await session.ExecuteAsync("SELECT current_setting('plan_cache_mode')"));
        var plans = await session.QueryAsync(
            "SELECT statement LIKE '%queued%', generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'SELECT count(*) FROM runs WHERE id = $1 AND status = %'",
            r => (AfterIt: r.GetBoolean(0), Generic: r.GetInt64(1), Custom: r.GetInt64(2)));
        var afterIt = Assert.Single(plans, p => p.AfterIt);
        var without = Assert.Single(plans, p => !p.AfterIt);
        Assert.Equal((0L, Executions - 2L), (afterIt.Generic, afterIt.Custom));
        Assert.True(without.Generic > 0, $"the lookup without it never used a generic plan ({without.Custom} custom): the test shows nothing");
    }
}
