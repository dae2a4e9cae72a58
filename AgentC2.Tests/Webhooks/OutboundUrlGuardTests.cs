extern alias ServiceDefaults;
using System.Net;
using AgentC2.Tests.Fixtures;
using Microsoft.Extensions.Options;
using ServiceDefaults::AgentC2.Security;

namespace AgentC2.Tests.Webhooks;

public sealed class OutboundUrlGuardTests
{
    private static OutboundUrlGuard Guard(params string[] allowed) => new(Options.Create(new OutboundUrlOptions { AllowedNetworks = [.. allowed] }));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.100.100.200")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    public void Internal_and_special_addresses_are_refused(string address) =>
        Assert.False(Guard().IsAllowed(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    public void Public_addresses_are_allowed(string address) => Assert.True(Guard().IsAllowed(IPAddress.Parse(address)));

    [Fact]
    public void An_operator_allow_list_opens_exactly_its_networks()
    {
        var guard = Guard("10.20.0.0/16");
        Assert.True(guard.IsAllowed(IPAddress.Parse("10.20.3.4")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("10.21.3.4")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("127.0.0.1")));
    }

    [Fact]
    public async Task Host_names_are_checked_after_resolution()
    {
        Assert.Contains("internal or special-purpose", await Guard().CheckAsync("http://localhost:8080/hook", CancellationToken.None), StringComparison.Ordinal);
        Assert.Null(await Guard("127.0.0.0/8", "::1/128").CheckAsync("http://localhost:8080/hook", CancellationToken.None));
        Assert.Contains("credentials", await Guard().CheckAsync("http://user:pass@example.com/", CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_delivery_handler_refuses_the_connection_itself_whatever_was_checked_before()
    {
        await using var receiver = new WebhookReceiver();

        using (var guarded = new HttpClient(Guard().CreateHandler(TimeSpan.FromSeconds(2))))
        {
            await Assert.ThrowsAsync<Microsoft.Security.AntiSSRF.AntiSSRFException>(() => guarded.PostAsync(receiver.Url, new StringContent("{}")));
        }

        using (var allowed = new HttpClient(Guard("127.0.0.0/8").CreateHandler(TimeSpan.FromSeconds(2))))
        {
            using var response = await allowed.PostAsync(receiver.Url, new StringContent("{}"));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }

        Assert.Single(receiver.Received);
    }
}
