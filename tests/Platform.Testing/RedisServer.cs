using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Platform.Testing;

/// <summary>
/// A redis-server process of the test's own on a free loopback port: for tests that kill, pause or restart
/// Redis without touching the shared server other test classes use. Starts in milliseconds.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;

    private readonly string[] _arguments;

    private RedisServer(int port, string directory, string[] arguments)
    {
        Port = port;
        _directory = directory;
        _arguments = arguments;
    }

    public int Port { get; }

    /// <summary>Configuration string for this server (abortConnect=false so clients ride through restarts).</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000";

    /// <summary>Starts one, with <paramref name="arguments"/> added to its command line (e.g. <c>--maxmemory 8mb</c>).</summary>
    public static async Task<RedisServer> StartAsync(params string[] arguments)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var directory = Directory.CreateTempSubdirectory("platform-redis-").FullName;
        var server = new RedisServer(port, directory, arguments);
        await server.StartProcessAsync([]);
        return server;
    }

    /// <summary>SIGKILL: the process dies with every connection and all data (no persistence).</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>
    /// Starts the server again on the same port, empty, with <paramref name="arguments"/> added for this start only
    /// (e.g. <c>--replicaof 127.0.0.1 PORT</c>: a killed primary comes back as the replica of the one promoted).
    /// </summary>
    public Task RestartAsync(params string[] arguments) => StartProcessAsync(arguments);

    /// <summary>Starts the server again on the same port, empty (a method group for <c>Func&lt;Task&gt;</c>).</summary>
    public Task RestartAsync() => StartProcessAsync([]);

    /// <summary>SIGSTOP / SIGCONT: the server stops answering but keeps its connections and data.</summary>
    public async Task PauseAsync() => await SignalAsync("STOP");

    public async Task ResumeAsync() => await SignalAsync("CONT");

    public async ValueTask DisposeAsync()
    {
        await ResumeAsync();
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private async Task StartProcessAsync(string[] extraArguments)
    {
        var start = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] arguments = ["--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--dir", _directory, .. _arguments, .. extraArguments];
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        _process?.Dispose();
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        // Drain its output so a chatty server never blocks on a full pipe.
        _ = _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _ = _process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},connectTimeout=500");
                await connection.GetDatabase().PingAsync();
                return true;
            }
            catch (RedisConnectionException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10), $"redis-server on port {Port}");
    }

    private async Task SignalAsync(string signal)
    {
        if (_process is { HasExited: false } process)
        {
            using var kill = Process.Start("kill", $"-{signal} {process.Id}");
            await kill.WaitForExitAsync();
        }
    }
}
