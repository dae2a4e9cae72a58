using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Security.AntiSSRF;

namespace AgentC2.Security;

/// <summary>Bound from <c>AgentC2:OutboundUrls</c>: where user-supplied URLs (webhook callbacks) may point.</summary>
public sealed class OutboundUrlOptions
{
    public const string Section = "AgentC2:OutboundUrls";

    /// <summary>
    /// Networks (CIDR, e.g. <c>10.20.0.0/16</c>) an operator allows although they are internal. Empty by default:
    /// loopback, private, link-local, cloud-metadata and other special-purpose addresses are refused.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>How long resolving a URL's host may take when a URL is checked.</summary>
    public TimeSpan ResolveTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Guards outbound requests to URLs users supply. A URL is checked when it is accepted (its host resolved and every
/// address tested), and again on every connection through <see cref="CreateHandler"/> (Microsoft AntiSSRF checks the
/// address actually connected to, so a DNS answer that changes in between cannot reach an internal target).
/// </summary>
public sealed class OutboundUrlGuard(IOptions<OutboundUrlOptions> options)
{
    private static readonly IPNetwork[] Refused = [.. IPAddressRanges.recommendedLatest.Select(IPNetwork.Parse)];

    private readonly IPNetwork[] _allowed = [.. options.Value.AllowedNetworks.Select(IPNetwork.Parse)];

    /// <summary>Null when <paramref name="url"/> may be called; otherwise why not, in one sentence.</summary>
    public async Task<string?> CheckAsync(string url, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "Must be an absolute http or https URL.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "Must not carry credentials.";
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(uri.DnsSafeHost, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.Value.ResolveTimeout);
            try
            {
                addresses = await Dns.GetHostAddressesAsync(uri.DnsSafeHost, deadline.Token);
            }
            catch (Exception exception) when (exception is SocketException || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return $"The host '{uri.DnsSafeHost}' cannot be resolved.";
            }
        }

        return addresses.Length == 0
            ? $"The host '{uri.DnsSafeHost}' cannot be resolved."
            : addresses.FirstOrDefault(a => !IsAllowed(a)) is { } refused
                ? $"The host '{uri.DnsSafeHost}' resolves to {refused}, an internal or special-purpose address."
                : null;
    }

    /// <summary>Whether an address is public, or internal but in an operator-allowed network.</summary>
    public bool IsAllowed(IPAddress address)
    {
        var candidate = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return _allowed.Any(n => n.Contains(candidate)) || !Refused.Any(n => n.Contains(candidate));
    }

    /// <summary>An HTTP handler that refuses, at connection time, every address <see cref="IsAllowed"/> refuses.</summary>
    public HttpMessageHandler CreateHandler(TimeSpan connectTimeout)
    {
        var policy = new AntiSSRFPolicy(PolicyConfigOptions.ExternalOnlyLatest) { AllowPlainTextHttp = true, AddXFFHeader = false };
        if (options.Value.AllowedNetworks.Count > 0)
        {
            policy.AddAllowedAddresses([.. options.Value.AllowedNetworks]);
        }

        var handler = policy.GetHandler();
        handler.AllowAutoRedirect = false;
        handler.UseCookies = false;
        handler.ConnectTimeout = connectTimeout;
        handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
        return handler;
    }
}

public static class OutboundUrlGuardExtensions
{
    /// <summary>The guard for user-supplied URLs, configured from <see cref="OutboundUrlOptions.Section"/>.</summary>
    public static void AddOutboundUrlGuard(this Microsoft.Extensions.Hosting.IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OutboundUrlOptions>().BindConfiguration(OutboundUrlOptions.Section)
            .Validate(o => o.AllowedNetworks.All(n => IPNetwork.TryParse(n, out _)), "AgentC2:OutboundUrls:AllowedNetworks must hold CIDR networks such as 10.0.0.0/8.")
            .ValidateOnStart();
        builder.Services.AddSingleton<OutboundUrlGuard>();
    }
}
