using AgentC2;
using AgentC2.AppHost;
using AgentC2.AppHost.Infrastructure;

try
{
    var builder = DistributedApplication.CreateBuilder(args);

    // Infrastructure first: PostgreSQL (system of record and run queue) and Redis.
    var infrastructure = builder.AddAgentC2Infrastructure();
    var database = infrastructure.Database;
    var redis = infrastructure.Redis;

    // The public API, the step executor and the MCP pool.
    var agent = builder.AddProject<Projects.AgentC2_Agent>(ResourceNames.Agent)
        .WithReference(database).WaitFor(database)
        .WithReference(redis).WaitFor(redis)
        .WithReplicas(2)
        .WithExternalHttpEndpoints()
        .WithAgentC2Secrets()
        .WithSampleMcpServer();

    // Drains the run queue and drives async runs, one step per call to the agent's internal endpoint, and
    // delivers webhooks. It starts beside the agent rather than after it: a step the agent cannot take yet is
    // retried with backoff, as it must be in production.
    builder.AddProject<Projects.AgentC2_Worker>(ResourceNames.Worker)
        .WithReference(database).WaitFor(database)
        .WithReference(redis).WaitFor(redis)
        .WithReference(agent)
        .WithInternalCredential(agent)
        .WithReplicas(2);

    // The operator console (it says so when the agent API is not reachable yet).
    builder.AddProject<Projects.AgentC2_Frontend>(ResourceNames.Frontend)
        .WithReference(redis).WaitFor(redis)
        .WithReference(agent)
        .WithExternalHttpEndpoints();

    builder.Build().Run();
    return 0;
}
catch (InfrastructureException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
