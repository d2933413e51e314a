using System.Diagnostics;
using System.Text.Json;
using Platform.Testing;
using StackExchange.Redis;

namespace Platform.EndToEnd.Tests.Cluster;

/// <summary>
/// The cluster <c>./platform up --cluster</c> runs, as <c>./platform test --cluster</c> describes it in the environment:
/// the RabbitMQ nodes' Erlang names (rabbitmqctl finds them through <c>ERL_EPMD_PORT</c>), the Sentinels (the
/// endpoints of <see cref="TestServers.Redis"/>) and Sentinel's name for the Redis primary.
/// </summary>
internal static class ClusterServers
{
    public static IReadOnlyList<string> RabbitMqNodeNames { get; } = Required("PLATFORM_RABBITMQ_NODE_NAMES").Split(',');

    public static string RedisService { get; } = Required("PLATFORM_REDIS_SERVICE");

    /// <summary>Runs <c>rabbitmqctl -q -n NODE args… --formatter json</c> and parses its output.</summary>
    public static async Task<JsonDocument> ControlJsonAsync(string node, params string[] args)
    {
        var start = new ProcessStartInfo(File.Exists("/usr/sbin/rabbitmqctl") ? "/usr/sbin/rabbitmqctl" : "rabbitmqctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["-q", "-n", node, .. args, "--formatter", "json"])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("rabbitmqctl did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode == 0
            ? JsonDocument.Parse(await stdout)
            : throw new InvalidOperationException($"rabbitmqctl -n {node} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
    }

    /// <summary>A connection to the Sentinels themselves (not the primary), as the admin user.</summary>
    public static Task<ConnectionMultiplexer> ConnectSentinelsAsync()
    {
        var options = ConfigurationOptions.Parse(TestServers.Redis);
        options.ServiceName = null;
        options.DefaultDatabase = null;
        return ConnectionMultiplexer.SentinelConnectAsync(options);
    }

    private static string Required(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{name} is not set: the cluster tests run with ./platform test --cluster");
}
