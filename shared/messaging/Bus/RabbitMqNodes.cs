using System.Globalization;
using RabbitMQ.Client;

namespace Platform.Messaging.Bus;

/// <summary>
/// The one reader of <c>ConnectionStrings:RabbitMqNodes</c> (a RabbitMQ cluster's nodes as <c>host:port</c>, comma-separated):
/// MassTransit's cluster hosts and RabbitMQ.Client's endpoint list both come from here.
/// </summary>
public static class RabbitMqNodes
{
    /// <summary>The nodes in the order given; empty when <paramref name="nodes"/> is unset or blank.</summary>
    /// <exception cref="FormatException">An entry is not <c>host:port</c> with a port from 1 to 65535 (the message names it).</exception>
    public static IReadOnlyList<(string Host, int Port)> Parse(string? nodes)
    {
        if (string.IsNullOrWhiteSpace(nodes))
        {
            return [];
        }

        var parsed = new List<(string Host, int Port)>();
        foreach (var entry in nodes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.LastIndexOf(':');
            if (colon <= 0
                || !int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535)
            {
                throw new FormatException($"'{entry}' is not host:port");
            }

            parsed.Add((entry[..colon].Trim('[', ']'), port));
        }

        return parsed;
    }

    /// <summary>
    /// RabbitMQ.Client endpoints for the nodes of <paramref name="nodes"/>, in order, with TLS when the broker URI's
    /// scheme is <c>amqps</c>; empty when no node list is set (then the URI alone says where to connect).
    /// </summary>
    public static IReadOnlyList<AmqpTcpEndpoint> Endpoints(Uri broker, string? nodes)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var secure = broker.Scheme == "amqps";
        return [.. Parse(nodes).Select(n => new AmqpTcpEndpoint(n.Host, n.Port, new SslOption(n.Host, enabled: secure)))];
    }
}
