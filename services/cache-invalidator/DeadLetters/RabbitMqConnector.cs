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

/// <summary>Validates <c>ConnectionStrings:RabbitMq</c> for the CLI, which has no MassTransit bus to do it.</summary>
internal sealed class RabbitMqConnectionStringValidator : IValidateOptions<ConnectionStringsOptions>
{
    public ValidateOptionsResult Validate(string? name, ConnectionStringsOptions options)
    {
        const string key = ConnectionStringsOptions.Section + ":RabbitMq";
        if (string.IsNullOrWhiteSpace(options.RabbitMq))
        {
            return ValidateOptionsResult.Fail($"{key} is required (e.g. amqp://guest:guest@127.0.0.1:56720/)");
        }

        if (!Uri.TryCreate(options.RabbitMq, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(uri.Host))
        {
            return ValidateOptionsResult.Fail($"{key} must be an amqp:// or amqps:// URI with a host, e.g. amqp://guest:guest@127.0.0.1:56720/");
        }

        return ValidateOptionsResult.Success;
    }
}
