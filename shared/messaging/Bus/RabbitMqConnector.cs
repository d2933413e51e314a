using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.Messaging.Bus;

/// <summary>
/// RabbitMQ connections straight through RabbitMQ.Client, for the consumers that must take each delivery's bytes as
/// they are and ack by hand (the dead-letter mover, the analytics ingest): MassTransit would deserialize every message
/// into its own context first. From <c>ConnectionStrings:RabbitMq</c>, and on a cluster the first node of
/// <c>ConnectionStrings:RabbitMqNodes</c> that answers. The caller owns recovery (reconnecting tries every node again).
/// </summary>
public sealed class RabbitMqConnector(IOptions<ConnectionStringsOptions> connectionStrings, IOptions<ServiceOptions> service)
{
    public Task<IConnection> ConnectAsync(string purpose, CancellationToken cancellationToken)
    {
        var broker = new Uri(connectionStrings.Value.RabbitMq!);
        var factory = new ConnectionFactory
        {
            Uri = broker,
            ClientProvidedName = $"{service.Value.Name}:{service.Value.NodeName}:{purpose}",
            // One recovery path, the caller's: reconnect, redeclare, resubscribe, with backoff and logs.
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            RequestedHeartbeat = TimeSpan.FromSeconds(20),
            ContinuationTimeout = TimeSpan.FromSeconds(20),
        };
        var nodes = RabbitMqNodes.Endpoints(broker, connectionStrings.Value.RabbitMqNodes);
        return nodes.Count == 0 ? factory.CreateConnectionAsync(cancellationToken) : factory.CreateConnectionAsync(nodes, cancellationToken);
    }

    /// <summary>Failures that mean "the broker is unreachable or went away", as opposed to bugs.</summary>
    public static bool IsBrokerFailure(Exception e) =>
        e is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException or ConnectFailureException
            or SocketException or IOException or TimeoutException;
}
