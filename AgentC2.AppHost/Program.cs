using AgentC2;
using AgentC2.AppHost;
using AgentC2.AppHost.Deployment;
using AgentC2.AppHost.Infrastructure;

try
{
    var builder = DistributedApplication.CreateBuilder(args);

    // Infrastructure first: PostgreSQL (system of record and run queue) and Redis.
    var infrastructure = builder.AddAgentC2Infrastructure();
    var database = infrastructure.Database;
    var redis = infrastructure.Redis;

    // The public API, the step executor and the MCP pool.
    var agent = builder.AddAgentC2Service<Projects.AgentC2_Agent>(ResourceNames.Agent)
        .WithReference(database).WaitFor(database)
        .WithReference(redis).WaitFor(redis)
        .WithAgentC2Replicas(deployed: 2)
        .WithExternalHttpEndpoints()
        .WithAgentC2Secrets()
        .WithModelSettings()
        .WithSampleMcpServer()
        .WithResourceLimits(cpus: 2, memory: "4G", instanceSize: "apps-d-2vcpu-4gb")
        .WithAutoscaling(minReplicas: 2, maxReplicas: 8, cpuPercent: 70, workInFlightPerReplica: 16)
        .WithPublicRoutes(["/api"], hidden: [ServicePaths.Metrics]);

    // Drains the run queue and drives async runs, one step per call to the agent's internal endpoint, and
    // delivers webhooks. It starts beside the agent rather than after it: a step the agent cannot take yet is
    // retried with backoff, as it must be in production. No HTTP ingress: it serves only probes and metrics.
    var worker = builder.AddAgentC2Service<Projects.AgentC2_Worker>(ResourceNames.Worker)
        .WithReference(database).WaitFor(database)
        .WithReference(redis).WaitFor(redis)
        .WithReference(agent)
        .WithInternalCredential(agent)
        .WithAgentC2Replicas(deployed: 2)
        .WithQueueAutoscaling(minReplicas: 2, maxReplicas: 10, runsPerReplica: 32, cooldown: TimeSpan.FromMinutes(5))
        .WithRunRetention(TimeSpan.FromDays(30))
        .WithResourceLimits(cpus: 1, memory: "1G", instanceSize: "apps-s-1vcpu-1gb");

    // The operator console: stateless (its data-protection key ring is in Redis), so any replica serves any
    // signed-in user. It reads the worker's health for its system page, and says so when the agent API is down.
    builder.AddAgentC2Service<Projects.AgentC2_Frontend>(ResourceNames.Frontend)
        .WithReference(redis).WaitFor(redis)
        .WithReference(agent)
        .WithReference(worker)
        .WithAgentC2Replicas(deployed: 2)
        .WithExternalHttpEndpoints()
        .WithResourceLimits(cpus: 1, memory: "2G", instanceSize: "apps-s-1vcpu-2gb")
        .WithPublicRoutes(["/"]);

    // `aspire publish`: the manifest, then the deployment artifacts (Deployment/).
    builder.AddDeploymentArtifacts();

    builder.Build().Run();

    // A failed publish step sets the exit code.
    return Environment.ExitCode;
}
catch (InfrastructureException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
