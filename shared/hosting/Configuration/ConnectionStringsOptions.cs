namespace Platform.Hosting.Configuration;

/// <summary>
/// Connection strings of the servers a service uses. Which ones are required depends on the service:
/// each <c>AddPlatformPostgres/Redis/...</c> call registers the validator of its own entry.
/// </summary>
public sealed class ConnectionStringsOptions
{
    public const string Section = "ConnectionStrings";

    /// <summary>Npgsql connection string, e.g. <c>Host=127.0.0.1;Port=55432;Username=postgres;Database=platform</c>.</summary>
    public string? Postgres { get; set; }

    /// <summary>StackExchange.Redis configuration, e.g. <c>127.0.0.1:56379,abortConnect=false</c>.</summary>
    public string? Redis { get; set; }

    /// <summary>AMQP URI, e.g. <c>amqp://guest:guest@127.0.0.1:56720/</c>.</summary>
    public string? RabbitMq { get; set; }

    /// <summary>
    /// Every node of a RabbitMQ cluster as <c>host:port</c>, comma-separated (e.g.
    /// <c>127.0.0.1:56720,127.0.0.1:56722,127.0.0.1:56724</c>); unset for one broker. User, password and virtual host
    /// come from <see cref="RabbitMq"/>; a client connects to the first node that answers and, when its node fails,
    /// reconnects to the next (docs/adr/017).
    /// </summary>
    public string? RabbitMqNodes { get; set; }
}
