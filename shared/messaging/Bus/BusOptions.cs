using System.ComponentModel.DataAnnotations;

namespace Platform.Messaging.Bus;

/// <summary>RabbitMQ topology and consumption settings shared by every service.</summary>
public sealed class BusOptions
{
    public const string Section = "Bus";

    /// <summary>
    /// Prefix for every queue and exchange this process declares. Empty in production; tests give each test class
    /// its own so they share one broker without meeting each other's messages.
    /// </summary>
    [RegularExpression("^[a-z0-9-]{0,40}$", ErrorMessage = "must be at most 40 lowercase letters, digits or dashes")]
    public string EntityPrefix { get; set; } = "";

    /// <summary>Messages RabbitMQ pushes ahead per consumer. 32 keeps a 2-core node busy without hoarding messages other nodes could take.</summary>
    [Range(1, 5000)]
    public int PrefetchCount { get; set; } = 32;

    /// <summary>Seconds to wait for the bus to connect at start before readiness reports it unhealthy (the bus keeps retrying).</summary>
    [Range(1, 600)]
    public int StartTimeoutSeconds { get; set; } = 30;

    /// <summary>A queue or exchange name as declared on the broker: <see cref="EntityPrefix"/>, a dash, the name.</summary>
    public string Prefixed(string name) => EntityPrefix.Length == 0 ? name : $"{EntityPrefix}-{name}";
}
