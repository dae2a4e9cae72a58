using Npgsql;

namespace AgentC2.Tests.Fixtures;

/// <summary>Direct reads of the application's database, for what the API does not show (leases, step rows).</summary>
internal static class Database
{
    public static async Task<NpgsqlConnection> OpenDatabaseAsync(this AppHostFixture fixture)
    {
        var connection = new NpgsqlConnection(await fixture.App.GetConnectionStringAsync(AgentC2.ResourceNames.Database));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Runs <paramref name="sql"/>; returns the first column of its first row, if any.</summary>
    public static async Task<object?> ExecuteAsync(this NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public static async Task<List<T>> QueryAsync<T>(this NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
