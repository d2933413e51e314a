using Microsoft.Extensions.Options;
using Platform.DeadLetters.Mover;
using Platform.Hosting.Configuration;
using Platform.Messaging.Bus;

namespace Platform.DeadLetters.Operations;

/// <summary>
/// Where a replay may publish: only to the queues of this deployment's own topology (the queues whose error queues the
/// mover drains, plus <see cref="DeadLetterOptions.ReplayQueues"/>), and only for a fault address that names this
/// broker and virtual host. The destination comes from <c>MT-Fault-InputAddress</c>, which whoever published the
/// message wrote; without this check a forged header would make the operator's replay publish into any queue.
/// </summary>
internal sealed class ReplayDestinations
{
    private const int AmqpPort = 5672;
    private const int AmqpsPort = 5671;

    private readonly HashSet<string> _queues;
    private readonly HashSet<string> _hosts;
    private readonly string _virtualHost;

    public ReplayDestinations(DeadLetterQueues queues, IOptions<DeadLetterOptions> options, IOptions<BusOptions> bus, IOptions<ConnectionStringsOptions> connectionStrings)
    {
        _queues = new HashSet<string>(queues.Names.Select(DeadLetterRecord.WithoutErrorSuffix), StringComparer.Ordinal);
        _queues.UnionWith(DeadLetterOptions.Prefixed(options.Value.ReplayQueues, bus.Value.EntityPrefix));
        _hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        _virtualHost = "/";
        if (connectionStrings.Value.RabbitMq is { } text && Uri.TryCreate(text, UriKind.Absolute, out var broker))
        {
            _hosts.Add(HostKey(broker.Host, broker.Port, broker.Scheme));
            _virtualHost = VirtualHostOf(broker.AbsolutePath.Trim('/'));
            // Every node of this deployment's cluster is this deployment's broker too (checked at start: valid here).
            foreach (var (host, port) in RabbitMqNodes.Parse(connectionStrings.Value.RabbitMqNodes))
            {
                _hosts.Add(HostKey(host, port, broker.Scheme));
            }
        }

        foreach (var host in options.Value.ReplayHosts)
        {
            var uri = new Uri($"rabbitmq://{host}/");
            _hosts.Add(HostKey(uri.Host, uri.IsDefaultPort ? -1 : uri.Port, "rabbitmq"));
        }
    }

    /// <summary>The queues a replay may publish to (bus prefix applied), for messages that say why one was refused.</summary>
    public IReadOnlyCollection<string> Queues => _queues;

    /// <summary>
    /// Null when a dead letter stored for <paramref name="queue"/> with fault address <paramref name="inputAddress"/>
    /// (null when the message had none) may be replayed; otherwise why not, in words for the operator.
    /// </summary>
    public string? RefusalOf(string queue, string? inputAddress)
    {
        if (inputAddress is not null)
        {
            if (!Uri.TryCreate(inputAddress, UriKind.Absolute, out var address) || address.Scheme is not ("rabbitmq" or "rabbitmqs"))
            {
                return $"its fault address '{inputAddress}' is not a rabbitmq:// address";
            }

            if (!_hosts.Contains(HostKey(address.Host, address.Port, address.Scheme)))
            {
                return $"its fault address names broker '{address.Authority}', not this deployment's (add it to DeadLetters:ReplayHosts if it is a member of the same cluster)";
            }

            var segments = address.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
            var virtualHost = segments.Length > 1 ? string.Join('/', segments[..^1]) : "/";
            if (!string.Equals(virtualHost, _virtualHost, StringComparison.Ordinal))
            {
                return $"its fault address names virtual host '{virtualHost}', not this deployment's '{_virtualHost}'";
            }

            if (address.Query.Length > 0)
            {
                // MassTransit's options in the query (bind=, type=, exchange= …) could turn a queue name into an exchange.
                return $"its fault address '{inputAddress}' carries options ({address.Query}); a consumer's input address has none";
            }
        }

        return _queues.Contains(queue)
            ? null
            : $"destination '{queue}' is not a queue of this deployment (allowed: {string.Join(", ", _queues.Order(StringComparer.Ordinal))}; add others to DeadLetters:ReplayQueues)";
    }

    private static string HostKey(string host, int port, string scheme)
    {
        var secure = scheme is "rabbitmqs" or "amqps";
        return $"{host.Trim('[', ']')}:{(port > 0 ? port : secure ? AmqpsPort : AmqpPort)}";
    }

    private static string VirtualHostOf(string path) => path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
}
