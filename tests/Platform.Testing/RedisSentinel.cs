using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Platform.Testing;

/// <summary>
/// A Redis Sentinel process of the test's own (<c>redis-server sentinel.conf --sentinel</c>) on a free loopback port,
/// watching a primary of the test's own: for tests that kill a primary and need it promoted. Sentinel rewrites its
/// configuration file, so each one has its own folder.
/// </summary>
public sealed class RedisSentinel : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Process _process;

    private RedisSentinel(int port, string directory, Process process)
    {
        Port = port;
        _directory = directory;
        _process = process;
    }

    public int Port { get; }

    /// <summary>
    /// Starts one watching <c>127.0.0.1:<paramref name="primaryPort"/></c> as <paramref name="serviceName"/>, with a quorum
    /// of <paramref name="quorum"/> and the primary judged down after <paramref name="downAfter"/> without an answer.
    /// </summary>
    public static async Task<RedisSentinel> StartAsync(int primaryPort, string serviceName, int quorum, TimeSpan downAfter)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var directory = Directory.CreateTempSubdirectory("platform-sentinel-").FullName;
        var configuration = Path.Combine(directory, "sentinel.conf");
        await File.WriteAllTextAsync(configuration, string.Create(CultureInfo.InvariantCulture, $"""
            port {port}
            bind 127.0.0.1
            dir {directory}
            sentinel monitor {serviceName} 127.0.0.1 {primaryPort} {quorum}
            sentinel down-after-milliseconds {serviceName} {(int)downAfter.TotalMilliseconds}
            sentinel failover-timeout {serviceName} 10000
            sentinel parallel-syncs {serviceName} 1

            """));
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(configuration);
        start.ArgumentList.Add("--sentinel");
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server --sentinel did not start");
        // Drain its output so a chatty Sentinel never blocks on a full pipe.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        var sentinel = new RedisSentinel(port, directory, process);
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    using var connection = await ConnectionMultiplexer.SentinelConnectAsync($"127.0.0.1:{port},connectTimeout=500");
                    return connection.IsConnected;
                }
                catch (RedisConnectionException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(10), $"redis sentinel on port {port}");
            return sentinel;
        }
        catch
        {
            await sentinel.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
