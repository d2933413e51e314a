using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.Testing;

/// <summary>
/// A RabbitMQ node of the test's own (<c>ct-&lt;id&gt;@localhost</c>) on free AMQP and distribution ports, with its
/// state in a temporary folder owned by the <c>rabbitmq</c> user: for tests that kill or restart the broker without
/// touching the shared node (<c>platform@localhost</c>) other test classes use. Starting takes 5–20 s.
/// <see cref="KillAsync"/> kills exactly this node's Erlang VM (found by its pid file and checked by its
/// environment); <see cref="RestartAsync"/> brings it back on the same ports and data, so quorum queues and the
/// persistent messages in them survive.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    private const string FolderPrefix = "platform-rabbitmq-";
    private const string OwnerFile = "owner.pid";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly string _directory;
    private readonly string _extraConfiguration;
    private Process? _launcher;

    private RabbitMqServer(string nodeName, int port, int distributionPort, string directory, string extraConfiguration)
    {
        NodeName = nodeName;
        Port = port;
        DistributionPort = distributionPort;
        _directory = directory;
        _extraConfiguration = extraConfiguration;
    }

    /// <summary>The Erlang node name, e.g. <c>ct-1a2b3c4d@localhost</c>.</summary>
    public string NodeName { get; }

    /// <summary>The AMQP port on 127.0.0.1.</summary>
    public int Port { get; }

    public int DistributionPort { get; }

    /// <summary>AMQP URI of the default virtual host (guest/guest, allowed from loopback).</summary>
    public Uri AmqpUri => new($"amqp://guest:guest@127.0.0.1:{Port}/");

    /// <summary>The OS process id of the node's Erlang VM (beam.smp) while it runs; null otherwise.</summary>
    public int? VmProcessId => ReadVmPid();

    public static Task<RabbitMqServer> StartAsync(CancellationToken cancellationToken = default) => StartAsync("", cancellationToken);

    /// <summary>
    /// Starts <paramref name="size"/> nodes and joins the others to the first (<c>rabbitmqctl join_cluster</c>), with
    /// <c>cluster_partition_handling = pause_minority</c> as <c>./platform up --cluster</c> runs them: quorum queues
    /// declared afterwards get a member on every node. All nodes share the <c>rabbitmq</c> user's Erlang cookie.
    /// </summary>
    public static async Task<IReadOnlyList<RabbitMqServer>> StartClusterAsync(int size, CancellationToken cancellationToken = default)
    {
        var starting = Enumerable.Range(0, size).Select(_ => StartAsync("cluster_partition_handling = pause_minority\n", cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(starting);
            var nodes = starting.Select(t => t.Result).ToList();
            foreach (var node in nodes.Skip(1))
            {
                await node.ControlAsync("stop_app");
                await node.ControlAsync("reset");
                await node.ControlAsync("join_cluster", nodes[0].NodeName);
                await node.StartAppAsync(cancellationToken);
            }

            return nodes;
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary><c>rabbitmqctl stop_app</c>: the node leaves the cluster's work (its clients are disconnected, its queue members go away) while its VM runs on.</summary>
    public Task StopAppAsync() => ControlAsync("stop_app");

    /// <summary><c>rabbitmqctl start_app</c>, then waits until the node serves AMQP again.</summary>
    public async Task StartAppAsync(CancellationToken cancellationToken = default)
    {
        await ControlAsync("start_app");
        await WaitForAmqpAsync(cancellationToken);
    }

    private static async Task<RabbitMqServer> StartAsync(string extraConfiguration, CancellationToken cancellationToken)
    {
        await RemoveOrphansAsync();
        var directory = Path.Combine(Path.GetTempPath(), FolderPrefix + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var server = new RabbitMqServer($"ct-{Path.GetFileName(directory)[FolderPrefix.Length..]}@localhost", FreePort(), FreePort(), directory, extraConfiguration);
        try
        {
            await server.PrepareFolderAsync();
            await server.LaunchAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>kill -9 of the node's Erlang VM: connections drop, nothing is flushed beyond what was already synced.</summary>
    public async Task KillAsync()
    {
        if (ReadVmPid() is { } pid)
        {
            await SignalAndWaitAsync(pid, "KILL", TimeSpan.FromSeconds(10));
        }

        await WaitForLauncherAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts the node again on the same ports with the same data folder; returns once it accepts AMQP connections.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await KillAsync();
        await LaunchAsync(cancellationToken);
    }

    /// <summary>
    /// Runs <c>rabbitmqctl -n NODE args…</c> (as the CLI does it: about a second of Erlang start-up per call) and returns
    /// its standard output; throws with its error output when it fails.
    /// </summary>
    public async Task<string> ControlAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Tool("rabbitmqctl")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-q", "-n", NodeName, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("rabbitmqctl did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode == 0
            ? await stdout
            : throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
    }

    /// <summary>Stops the node (SIGTERM, then SIGKILL), removes its folder; leaves no process of it (epmd may stay: it is shared).</summary>
    public async ValueTask DisposeAsync()
    {
        if (ReadVmPid() is { } pid)
        {
            // The data is thrown away, so a graceful stop only saves the VM from a hard kill; it gets a bounded time.
            await SignalAndWaitAsync(pid, "TERM", StopTimeout);
            await SignalAndWaitAsync(pid, "KILL", TimeSpan.FromSeconds(10));
        }

        await WaitForLauncherAsync(TimeSpan.FromSeconds(10));
        _launcher?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless and is removed by the next start (RemoveOrphansAsync).
        }
    }

    private async Task PrepareFolderAsync()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(_directory, "log"));
        await File.WriteAllTextAsync(Path.Combine(_directory, "enabled_plugins"), "[].");
        await File.WriteAllTextAsync(Path.Combine(_directory, "advanced.config"), "[].");
        await File.WriteAllTextAsync(Path.Combine(_directory, "rabbitmq.conf"), string.Create(CultureInfo.InvariantCulture, $"""
            listeners.tcp.1 = 127.0.0.1:{Port}
            loopback_users.guest = true
            vm_memory_high_watermark.relative = 0.2
            disk_free_limit.absolute = 50MB
            {_extraConfiguration}
            """));
        await File.WriteAllTextAsync(Path.Combine(_directory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        // rabbitmq-server drops to the rabbitmq user: everything it writes must be that user's (else eacces).
        await RunAsync("chown", "-R", "rabbitmq:rabbitmq", _directory);
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        // A pid file left by a killed VM must not be mistaken for the new one.
        File.Delete(PidFile);
        _launcher?.Dispose();
        var start = new ProcessStartInfo(Tool("rabbitmq-server"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        var environment = new Dictionary<string, string>
        {
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = Port.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = DistributionPort.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_directory, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_directory, "enabled_plugins"),
            ["RABBITMQ_FEATURE_FLAGS_FILE"] = Path.Combine(_directory, "feature_flags"),
            ["RABBITMQ_PID_FILE"] = PidFile,
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_directory, "rabbitmq"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(_directory, "advanced.config"),
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _launcher = Process.Start(start) ?? throw new InvalidOperationException("rabbitmq-server did not start");
        // Drain its output so the node never blocks on a full pipe.
        _ = _launcher.StandardOutput.BaseStream.CopyToAsync(Stream.Null, cancellationToken);
        _ = _launcher.StandardError.BaseStream.CopyToAsync(Stream.Null, cancellationToken);
        await WaitForAmqpAsync(cancellationToken);
    }

    private async Task WaitForAmqpAsync(CancellationToken cancellationToken)
    {
        var launcher = _launcher!;
        var factory = new ConnectionFactory { Uri = AmqpUri, RequestedConnectionTimeout = TimeSpan.FromSeconds(2) };
        await Eventually.TrueAsync(
            async () =>
            {
                if (launcher.HasExited && ReadVmPid() is null)
                {
                    throw new InvalidOperationException($"rabbitmq-server for {NodeName} exited with {launcher.ExitCode}; logs in {Path.Combine(_directory, "log")}");
                }

                try
                {
                    // The listener opens at the end of boot; a channel proves the node serves AMQP.
                    await using var connection = await factory.CreateConnectionAsync(cancellationToken);
                    await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                    return ReadVmPid() is not null;
                }
                catch (Exception e) when (e is BrokerUnreachableException or IOException or SocketException or OperationInterruptedException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    return false;
                }
            },
            StartTimeout,
            $"RabbitMQ node {NodeName} accepting AMQP on port {Port}");
    }

    private string PidFile => Path.Combine(_directory, "rabbitmq.pid");

    /// <summary>The pid in the node's pid file, only if that process is a beam.smp started for this very node.</summary>
    private int? ReadVmPid() => ReadVmPid(_directory, NodeName);

    private static int? ReadVmPid(string directory, string nodeName)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(directory, "rabbitmq.pid")).Trim();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                return null;
            }

            // Pids are reused: check that the process is this node's VM before anyone signals it.
            var command = File.ReadAllText($"/proc/{pid}/cmdline");
            var environment = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
            return command.Contains("beam", StringComparison.Ordinal) && environment.Contains($"RABBITMQ_NODENAME={nodeName}") ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private async Task WaitForLauncherAsync(TimeSpan timeout)
    {
        // The launcher (rabbitmq-server → su → sh) ends with the VM; a stuck one is killed with its tree.
        if (_launcher is { HasExited: false } launcher)
        {
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await launcher.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                launcher.Kill(entireProcessTree: true);
                await launcher.WaitForExitAsync();
            }
        }
    }

    private static async Task SignalAndWaitAsync(int pid, string signal, TimeSpan timeout)
    {
        if (!File.Exists($"/proc/{pid}/cmdline"))
        {
            return;
        }

        // It may have exited between the check and the signal: kill's exit code says nothing useful then.
        await RunAsync("kill", check: false, $"-{signal}", pid.ToString(CultureInfo.InvariantCulture));
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(!IsRunning(pid)), timeout, $"process {pid} gone after SIG{signal}");
        }
        catch (TimeoutException) when (signal != "KILL")
        {
            // The caller escalates to SIGKILL.
        }
    }

    /// <summary>Gone or a zombie: a killed VM whose parent shell has not reaped it yet counts as stopped.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var status = File.ReadAllText($"/proc/{pid}/stat");
            var state = status[(status.LastIndexOf(')') + 2)..];
            return !state.StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Nodes left by a test process that died without disposing them: killed and removed.</summary>
    private static async Task RemoveOrphansAsync()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            try
            {
                var owner = int.Parse(await File.ReadAllTextAsync(Path.Combine(directory, OwnerFile)), CultureInfo.InvariantCulture);
                if (File.Exists($"/proc/{owner}/cmdline"))
                {
                    continue;
                }

                if (ReadVmPid(directory, $"ct-{Path.GetFileName(directory)[FolderPrefix.Length..]}@localhost") is { } pid)
                {
                    await SignalAndWaitAsync(pid, "KILL", TimeSpan.FromSeconds(10));
                }

                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
            {
                // Another process's node in the middle of starting, or already gone: not ours to touch.
            }
        }
    }

    private static Task RunAsync(string file, params string[] args) => RunAsync(file, check: true, args);

    private static async Task RunAsync(string file, bool check, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
        }
    }

    /// <summary>Debian installs the RabbitMQ scripts in /usr/sbin, which is not on every PATH.</summary>
    private static string Tool(string name) => File.Exists($"/usr/sbin/{name}") ? $"/usr/sbin/{name}" : name;

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
