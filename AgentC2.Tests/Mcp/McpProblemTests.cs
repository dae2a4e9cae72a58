extern alias AgentService;
using System.Text.Json;
using AgentService::AgentC2.Agent.Errors;
using AgentService::AgentC2.Agent.Mcp;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentC2.Tests.Mcp;

public sealed class McpProblemTests
{
    [Fact]
    public async Task An_exhausted_pool_is_a_503_problem_with_retry_after()
    {
        await using var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var handler = new ApiExceptionHandler(services.GetRequiredService<Microsoft.AspNetCore.Http.IProblemDetailsService>(), NullLogger<ApiExceptionHandler>.Instance);
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();

        Assert.True(await handler.TryHandleAsync(context, new McpPoolExhaustedException("Every MCP client is in use.", TimeSpan.FromSeconds(10)), CancellationToken.None));

        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("10", context.Response.Headers.RetryAfter.ToString());
        context.Response.Body.Position = 0;
        var problem = JsonDocument.Parse(context.Response.Body).RootElement;
        Assert.Equal("urn:agentc2:problem:mcp-pool-exhausted", problem.GetProperty("type").GetString());
        Assert.Equal("Every MCP client is in use.", problem.GetProperty("detail").GetString());
    }
}
