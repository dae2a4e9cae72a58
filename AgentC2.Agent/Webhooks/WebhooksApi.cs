using AgentC2.Agent.Errors;
using AgentC2.Agent.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentC2.Agent.Webhooks;

public sealed record WebhookSecret(string Secret);

/// <summary>
/// A run's webhook delivery with every attempt (<c>GET /api/runs/{id}/webhook</c>), and the organization's signing
/// secret (<c>GET /api/webhooks/secret</c>, <c>POST /api/webhooks/secret/rotate</c>).
/// </summary>
internal static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        api.MapGet("/runs/{id:guid}/webhook", GetDelivery).WithTags("Webhooks");
        var group = api.MapGroup("/webhooks").WithTags("Webhooks");
        group.MapGet("/secret", async (HttpContext context, WebhookStore store, CancellationToken cancellationToken) =>
            TypedResults.Ok(new WebhookSecret(await store.GetSecretAsync(context.User.Caller().OrganizationId, cancellationToken))));
        group.MapPost("/secret/rotate", async (HttpContext context, WebhookStore store, CancellationToken cancellationToken) =>
            TypedResults.Ok(new WebhookSecret(await store.RotateSecretAsync(context.User.Caller().OrganizationId, cancellationToken))));
        return group;
    }

    private static async Task<Results<Ok<WebhookDeliveryView>, ProblemHttpResult>> GetDelivery(
        Guid id, HttpContext context, WebhookStore store, CancellationToken cancellationToken) =>
        await store.FindDeliveryAsync(context.User.Caller().OrganizationId, id, cancellationToken) is { } delivery
            ? TypedResults.Ok(delivery)
            : Problems.NotFoundResult("No webhook delivery for this run in this organization (no callbackUrl, or the run has not ended yet).");
}
