using System.Net.Http.Headers;
using AgentC2.Frontend.Console;

namespace AgentC2.Frontend.AgentApi;

/// <summary>Sends the signed-in user's API key with every agent API call that does not name one itself.</summary>
internal sealed class ForwardCredentialHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is null && accessor.HttpContext?.User.ApiKey() is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
