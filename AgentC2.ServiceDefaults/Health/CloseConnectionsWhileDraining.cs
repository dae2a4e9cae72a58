using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace AgentC2.ServiceDefaults.Health;

/// <summary>
/// From the moment the host begins to stop (readiness 503, the <see cref="ShutdownDrain"/> running), every HTTP/1.x
/// answer carries <c>Connection: close</c>: a proxy opens a new connection for its next request, to a replica that is
/// staying, instead of sending it down a kept-alive connection this instance is about to close under it.
/// </summary>
internal sealed class CloseConnectionsWhileDraining(IHostApplicationLifetime lifetime) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (lifetime.ApplicationStopping.IsCancellationRequested
                && (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol)))
            {
                context.Response.Headers.Connection = "close";
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
