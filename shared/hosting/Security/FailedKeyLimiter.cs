using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Platform.Hosting.Security;

/// <summary>
/// Counts unknown API keys per client address in a fixed window (<see cref="ApiKeyOptions.FailedKeyLimit"/> per
/// <see cref="ApiKeyOptions.FailedKeyWindow"/>). A client that reached the limit has every key refused — a right one too —
/// until its window ends, so keys cannot be guessed at the speed of the network. Logs at Warning twice per burst (when a
/// client's first failure of a window arrives, and when it reaches the limit), never once per request.
/// </summary>
/// <remarks>
/// IPv6 clients are counted per /64, the block one host usually gets. Behind a reverse proxy the address is the proxy's
/// unless forwarded headers are configured (docs/security.md).
/// </remarks>
public sealed partial class FailedKeyLimiter : IDisposable
{
    private readonly int _limit;
    private readonly TimeSpan _window;
    private readonly ILogger<FailedKeyLimiter> _logger;
    private readonly PartitionedRateLimiter<string> _failures;

    public FailedKeyLimiter(IOptions<ApiKeyOptions> options, ILogger<FailedKeyLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limit = options.Value.FailedKeyLimit;
        _window = options.Value.FailedKeyWindow;
        _logger = logger;
        _failures = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = _limit,
            Window = _window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>The partition of a request's client: its address, an IPv6 address cut to its /64.</summary>
    public static string ClientOf(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    /// <summary>True (with how long to wait) when <paramref name="client"/> used up its failures for now.</summary>
    public bool IsBlocked(string client, out TimeSpan retryAfter)
    {
        using var lease = _failures.AttemptAcquire(client, 0);
        retryAfter = lease.IsAcquired ? TimeSpan.Zero : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : _window;
        return !lease.IsAcquired;
    }

    /// <summary>Counts one unknown key from <paramref name="client"/>.</summary>
    public void RecordFailure(string client)
    {
        using var lease = _failures.AttemptAcquire(client, 1);
        var left = _failures.GetStatistics(client)?.CurrentAvailablePermits ?? 0;
        if (lease.IsAcquired && left == _limit - 1)
        {
            LogFirstFailure(_logger, client, _limit, _window);
        }

        if (lease.IsAcquired && left == 0)
        {
            LogLimitReached(_logger, client, _limit, _window);
        }
    }

    public void Dispose() => _failures.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unknown API key from {Client}; after {Limit} in {Window} every key from it is refused until the window ends")]
    private static partial void LogFirstFailure(ILogger logger, string client, int limit, TimeSpan window);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Limit} unknown API keys from {Client} within {Window}: its keys are refused with 429 until the window ends")]
    private static partial void LogLimitReached(ILogger logger, string client, int limit, TimeSpan window);
}
