using System.Collections.Immutable;
using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace AgentC2.Tests.Fixtures;

/// <summary>
/// An orchestrator's service DNS on loopback: a real DNS server (UDP, port 53 on an address of its own in 127.0.0.0/8) that
/// answers a service's name with one A record per replica registered, with a TTL of 0, as Swarm's and Compose's embedded
/// DNS answer <c>tasks.agent</c> or <c>agent</c>. Every other name is NXDOMAIN.
/// </summary>
internal sealed class ServiceDns : IDisposable
{
    /// <summary>The address the server listens on (what the edge's resolv.conf names).</summary>
    public static readonly IPAddress Address = IPAddress.Parse("127.77.0.53");

    private readonly DnsServer _server;
    private ImmutableDictionary<string, ImmutableArray<IPAddress>> _records = ImmutableDictionary.Create<string, ImmutableArray<IPAddress>>(StringComparer.OrdinalIgnoreCase);

    public ServiceDns()
    {
        _server = new DnsServer(new UdpServerTransport(new IPEndPoint(Address, 53), 1000));
        _server.QueryReceived += (_, query) =>
        {
            query.Response = Answer((DnsMessage)query.Query);
            return Task.CompletedTask;
        };
        _server.Start();
    }

    /// <summary>What <paramref name="service"/> resolves to now.</summary>
    public IReadOnlyList<IPAddress> Resolve(string service) => _records.GetValueOrDefault(service, []);

    /// <summary>Adds a replica to its service's name: the orchestrator does so once the replica is healthy.</summary>
    public void Register(string service, IPAddress replica) =>
        ImmutableInterlocked.AddOrUpdate(ref _records, service, [replica], (_, addresses) => addresses.Contains(replica) ? addresses : addresses.Add(replica));

    /// <summary>Takes a replica out of its service's name: the orchestrator does so when it sends the stop signal.</summary>
    public void Deregister(string service, IPAddress replica) =>
        ImmutableInterlocked.AddOrUpdate(ref _records, service, [], (_, addresses) => addresses.Remove(replica));

    private DnsMessage Answer(DnsMessage query)
    {
        var response = query.CreateResponseInstance();
        response.ReturnCode = ReturnCode.NxDomain;
        if (query.Questions is [var question] && _records.TryGetValue(question.Name.ToString().TrimEnd('.'), out var addresses))
        {
            // A name with no replica left answers no address, not "no such name": the service exists, nothing serves it.
            response.ReturnCode = ReturnCode.NoError;
            if (question.RecordType == RecordType.A)
            {
                response.AnswerRecords.AddRange(addresses.Select(address => new ARecord(question.Name, 0, address)));
            }
        }

        return response;
    }

    public void Dispose() => _server.Stop();
}
