using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace CacheInvalidator.DeadLetters;

/// <summary>
/// RabbitMQ connections of the dead-letter store, straight through RabbitMQ.Client (MassTransit would consume and
/// deserialize; the mover must take each delivery's bytes as they are and ack by hand). From <c>ConnectionStrings:RabbitMq</c>.
/// </summary>
internal sealed class RabbitMqConnector(IOptions<ConnectionStringsOptions> connectionStrings, IOptions<ServiceOptions> service)
{
    public Task<IConnection> ConnectAsync(string purpose, CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory
        {
            Uri = new Uri(connectionStrings.Value.RabbitMq!),
            ClientProvidedName = $"{service.Value.Name}:{service.Value.NodeName}:{purpose}",
            // One recovery path, ours: reconnect, redeclare, resubscribe, with backoff and logs (DeadLetterMover).
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            RequestedHeartbeat = TimeSpan.FromSeconds(20),
            ContinuationTimeout = TimeSpan.FromSeconds(20),
        };
        return factory.CreateConnectionAsync(cancellationToken);
    }

    /// <summary>Failures that mean "the broker is unreachable or went away", as opposed to bugs.</summary>
    public static bool IsBrokerFailure(Exception e) =>
        e is BrokerUnreachableException or AlreadyClosedException or OperationInterruptedException or ConnectFailureException
            or SocketException or IOException or TimeoutException;
}
