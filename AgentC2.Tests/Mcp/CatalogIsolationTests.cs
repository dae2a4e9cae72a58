extern alias AgentService;
using AgentService::AgentC2.Agent.Mcp;
using AgentService::AgentC2.Agent.Security;

namespace AgentC2.Tests.Mcp;

/// <summary>What a catalog server's process gets, and what the service redacts from what tools return.</summary>
public sealed class CatalogIsolationTests
{
    private static readonly ServiceSecrets Secrets = new([
        ("ConnectionStrings:agentc2", "Host=db;Username=agentc2;Password=pg-S3cret-value;Database=agentc2"),
        ("ConnectionStrings:redis", "redis:6379,password=redis-pass-w0rd,abortConnect=false"),
        ("AgentC2:Tenancy:OperatorApiKey", "operator-key-1234567890"),
        ("AgentC2:Internal:ApiKey", "internal key/with+chars"),
        ("AgentC2:Models:Tiers:fast:Endpoint", "https://models.example/v1"),
        ("AgentC2:Tenancy:DemoApiKey", "short"),
    ]);

    private static readonly Dictionary<string, string> Agent = new(StringComparer.Ordinal)
    {
        ["PATH"] = "/usr/bin:/bin", ["LANG"] = "C.UTF-8", ["ConnectionStrings__agentc2"] = "Host=db;Password=pg-S3cret-value",
        ["DOTNET_ROOT"] = "/usr/share/dotnet", ["AgentC2__Tenancy__OperatorApiKey"] = "operator-key-1234567890",
    };

    [Fact]
    public void A_catalog_server_gets_the_base_its_scratch_folder_and_what_its_entry_declares_nothing_else()
    {
        var entry = new McpCatalogEntry { Command = "node", Inherit = ["DOTNET_ROOT"], Environment = { ["SERVER_TOKEN"] = "its-own" } };

        var environment = CatalogServerEnvironment.For("tools", entry, "/tmp/agentc2-mcp-x", Agent.GetValueOrDefault, Secrets);

        Assert.Equal(new Dictionary<string, string?>
        {
            ["PATH"] = "/usr/bin:/bin", ["LANG"] = "C.UTF-8", ["HOME"] = "/tmp/agentc2-mcp-x", ["TMPDIR"] = "/tmp/agentc2-mcp-x",
            ["DOTNET_ROOT"] = "/usr/share/dotnet", ["SERVER_TOKEN"] = "its-own",
        }, environment);
    }

    [Theory]
    [InlineData("NO_SUCH_VARIABLE", "which the agent does not have")]
    [InlineData("ConnectionStrings__agentc2", "which holds a secret of the agent")]
    [InlineData("AgentC2__Tenancy__OperatorApiKey", "which holds a secret of the agent")]
    public void Inheriting_a_missing_variable_or_a_secret_is_refused_naming_it(string variable, string reason)
    {
        var entry = new McpCatalogEntry { Command = "node", Inherit = [variable] };

        var refused = Assert.Throws<McpStartException>(() => CatalogServerEnvironment.For("tools", entry, "/tmp/x", Agent.GetValueOrDefault, Secrets));

        Assert.Contains($"'{variable}', {reason}", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pg-S3cret-value", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_of_the_configuration_are_redacted_plain_and_uri_escaped_and_counted()
    {
        var text = "db pg-S3cret-value, redis redis-pass-w0rd, op operator-key-1234567890, internal internal%20key%2Fwith%2Bchars, twice pg-S3cret-value";

        var redacted = Secrets.Redact(text, out var count);

        Assert.Equal("db [redacted], redis [redacted], op [redacted], internal [redacted], twice [redacted]", redacted);
        Assert.Equal(5, count);
        // Not secrets: settings that do not say so by name, and values too short to tell from ordinary words.
        Assert.Equal("https://models.example/v1 short", Secrets.Redact("https://models.example/v1 short", out var none));
        Assert.Equal(0, none);
    }
}
