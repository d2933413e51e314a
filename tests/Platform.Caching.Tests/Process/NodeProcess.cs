using System.Diagnostics;
using System.Globalization;
using System.Text;
using Platform.Testing;
using OsProcess = System.Diagnostics.Process;

namespace Platform.Caching.Tests.Process;

/// <summary>
/// A cache node running in a process of its own (tests/Platform.Caching.NodeHost, copied next to the tests by
/// the project reference), driven over its stdin/stdout line protocol. One command at a time. Disposing kills
/// the process whatever state it is in.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private const string HostDll = "Platform.Caching.NodeHost.dll";
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    private readonly OsProcess _process;
    private readonly StringBuilder _stderr = new();

    private NodeProcess(OsProcess process, string name)
    {
        _process = process;
        Name = name;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Pid => _process.Id;

    /// <summary>Starts a node on the shared Redis (database 1) under <paramref name="prefix"/> and waits until it is ready.</summary>
    public static async Task<NodeProcess> StartAsync(string name, string prefix, TimeSpan? clusterLockDuration = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, HostDll);
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{HostDll} is not next to the tests; the ProjectReference to Platform.Caching.NodeHost copies it there", dll);
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--redis");
        start.ArgumentList.Add(TestServers.Redis);
        start.ArgumentList.Add("--prefix");
        start.ArgumentList.Add(prefix);
        if (clusterLockDuration is { } lockDuration)
        {
            start.ArgumentList.Add("--lock-ms");
            start.ArgumentList.Add(((int)lockDuration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        }

        var process = OsProcess.Start(start) ?? throw new InvalidOperationException($"could not start node {name}");
        var node = new NodeProcess(process, name);
        try
        {
            var ready = await node.ReadReplyAsync("(start)");
            if (!ready.StartsWith("ready ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"node {name} said '{ready}' instead of ready{node.Diagnostics()}");
            }
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    /// <summary>GetOrSet through a factory returning <paramref name="value"/>; tells whether this call ran the factory.</summary>
    public async Task<(string Value, bool RanFactory)> GetOrSetAsync(string key, string value, params string[] tags) =>
        ParseValue(await SendAsync($"getorset {key} {value} {string.Join(' ', tags)}".TrimEnd()));

    /// <summary>GetOrSet with cluster single flight (the Redis lock).</summary>
    public async Task<(string Value, bool RanFactory)> GetOrSetSingleFlightAsync(string key, string value) =>
        ParseValue(await SendAsync($"getorset-single {key} {value}"));

    /// <summary>True when the node's L1 alone would answer a read of <paramref name="key"/>.</summary>
    public async Task<bool> IsFreshInL1Async(string key) => await SendAsync($"fresh {key}") == "true";

    public Task RemoveAsync(string key) => ExpectAsync($"remove {key}", "ok");

    public Task RemoveByTagAsync(string tag) => ExpectAsync($"tag {tag}", "ok");

    /// <summary>Starts a cluster single-flight factory for <paramref name="key"/> that never completes; returns once it runs (the node holds the lock).</summary>
    public Task HoldClusterLockForeverAsync(string key) => ExpectAsync($"hang {key}", "factory-started");

    /// <summary>SIGKILL: no cleanup runs in the node (its lock, connection and flights are simply gone).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped: nothing left to kill.
        }

        _process.Dispose();
    }

    public async Task<string> SendAsync(string command)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"node {Name} has exited (code {_process.ExitCode}){Diagnostics()}");
        }

        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        var reply = await ReadReplyAsync(command);
        return reply.StartsWith("error ", StringComparison.Ordinal)
            ? throw new InvalidOperationException($"node {Name}: '{command}' failed: {reply}{Diagnostics()}")
            : reply;
    }

    private async Task ExpectAsync(string command, string expected)
    {
        var reply = await SendAsync(command);
        if (reply != expected)
        {
            throw new InvalidOperationException($"node {Name}: '{command}' replied '{reply}', expected '{expected}'{Diagnostics()}");
        }
    }

    private async Task<string> ReadReplyAsync(string command)
    {
        try
        {
            return await _process.StandardOutput.ReadLineAsync().WaitAsync(ReplyTimeout)
                ?? throw new InvalidOperationException($"node {Name} closed its output after '{command}'{Diagnostics()}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"node {Name} did not answer '{command}' within {ReplyTimeout.TotalSeconds} s{Diagnostics()}", e);
        }
    }

    private (string Value, bool RanFactory) ParseValue(string reply) =>
        reply.Split(' ') is ["value", var value, var source and ("factory" or "cached")]
            ? (value, source == "factory")
            : throw new InvalidOperationException($"node {Name}: unexpected reply '{reply}'{Diagnostics()}");

    private string Diagnostics()
    {
        lock (_stderr)
        {
            return _stderr.Length == 0 ? "" : $"\n--- stderr of node {Name} ---\n{_stderr}";
        }
    }

    // The same dotnet that runs the tests (testhost runs under it), else the one on PATH.
    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet"
            ? current
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
    }
}
