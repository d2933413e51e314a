using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Platform.Testing;

/// <summary>
/// A service's own binary (<c>dotnet &lt;Service&gt;.dll</c>) in an OS process of its own, configured through
/// environment variables the way <c>./platform up</c> starts it. Only a separate process can be killed with SIGKILL
/// (mid-batch, mid-request) without taking the test with it. <see cref="Start"/> serves HTTP on a free loopback port
/// that <see cref="RestartAsync"/> keeps; <see cref="RunAsync"/> runs a verb (or a start that must fail) to its exit.
/// Standard output and error are captured line by line for asserts and failure messages.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan DefaultRunTimeout = TimeSpan.FromSeconds(60);

    private readonly ProcessStartInfo _startInfo;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private Process? _process;

    private ServiceProcess(string name, ProcessStartInfo startInfo, int port)
    {
        Name = name;
        _startInfo = startInfo;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The node name (<c>Service:NodeName</c>).</summary>
    public string Name { get; }

    /// <summary>The loopback port it listens on, the same across restarts.</summary>
    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>A client on <see cref="BaseAddress"/> (30 s timeout); it survives restarts.</summary>
    public HttpClient Client { get; }

    /// <summary>The current process's id; 0 before it started.</summary>
    public int ProcessId => _process?.Id ?? 0;

    public bool HasExited => _process is null || _process.HasExited;

    /// <summary>Everything the process (all its runs) wrote to stdout and stderr so far, interleaved.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Standard output lines of every run so far.</summary>
    public string StandardOutput => string.Join('\n', _stdout);

    /// <summary>Standard error lines of every run so far.</summary>
    public string StandardError => string.Join('\n', _stderr);

    /// <summary>
    /// Starts <paramref name="assemblyPath"/> as node <paramref name="name"/> serving HTTP on a free loopback port, with
    /// <c>DOTNET_ENVIRONMENT=Production</c> and <paramref name="settings"/> as environment variables (configuration keys
    /// may be written with <c>:</c> or <c>__</c>). The working directory is the assembly's folder, its content root.
    /// </summary>
    public static ServiceProcess Start(string name, string assemblyPath, IReadOnlyDictionary<string, string> settings, params string[] args)
    {
        var port = FreePort();
        var start = StartInfo(assemblyPath, settings, args, $"http://127.0.0.1:{port}");
        start.Environment["Service__NodeName"] = name;
        var service = new ServiceProcess(name, start, port);
        service.Launch();
        return service;
    }

    /// <summary>
    /// Runs <paramref name="assemblyPath"/> with <paramref name="args"/> until it exits (a verb, or a start that must
    /// stop on a bad setting) and returns its exit code and output. Killed, and a <see cref="TimeoutException"/>, after
    /// <paramref name="timeout"/> (60 s by default).
    /// </summary>
    public static async Task<ServiceRun> RunAsync(string assemblyPath, IReadOnlyDictionary<string, string> settings, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var argList = args.ToArray();
        // Port 0: a start that unexpectedly succeeds must not collide with anything.
        var start = StartInfo(assemblyPath, settings, argList, "http://127.0.0.1:0");
        var service = new ServiceProcess(Path.GetFileNameWithoutExtension(assemblyPath), start, 0);
        await using (service)
        {
            service.Launch();
            using var deadline = new CancellationTokenSource(timeout ?? DefaultRunTimeout);
            try
            {
                await service._process!.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{service.Name} {string.Join(' ', argList)} did not exit within {(timeout ?? DefaultRunTimeout).TotalSeconds:0} s:\n{service.Output}");
            }

            return new ServiceRun(service._process.ExitCode, service.StandardOutput, service.StandardError);
        }
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200 (Degraded included); fails early, with the log, if the process exits.</summary>
    public Task WaitReadyAsync(TimeSpan timeout) =>
        Eventually.TrueAsync(
            async () =>
            {
                if (_process is { HasExited: true } exited)
                {
                    throw new InvalidOperationException($"{Name} exited with {exited.ExitCode} during start:\n{Output}");
                }

                try
                {
                    using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    using var response = await Client.GetAsync(new Uri("/health/ready", UriKind.Relative), probe.Token);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    return false;
                }
            },
            timeout,
            $"{Name} ready");

    /// <summary>True once an output line contains <paramref name="text"/>.</summary>
    public bool HasLogged(string text) => _output.Any(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>SIGKILL: no shutdown hooks, no rollback, sockets dropped by the kernel — a crashed node.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
        }

        if (_process is not null)
        {
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Starts the binary again, same settings and port (killing the current process first if it still runs).</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        _output.Enqueue($"--- {Name} restarted ---");
        Launch();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await KillAsync();
        _process?.Dispose();
        _process = null;
    }

    private static ProcessStartInfo StartInfo(string assemblyPath, IReadOnlyDictionary<string, string> settings, IReadOnlyList<string> args, string urls)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(assemblyPath))!,
        };
        start.ArgumentList.Add(assemblyPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = urls;
        foreach (var (key, value) in settings)
        {
            start.Environment[EnvironmentName(key)] = value;
        }

        return start;
    }

    private static string EnvironmentName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    private void Launch()
    {
        _process?.Dispose();
        var process = new Process { StartInfo = _startInfo };
        process.OutputDataReceived += (_, e) => Record(e.Data, _stdout);
        process.ErrorDataReceived += (_, e) => Record(e.Data, _stderr);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    private void Record(string? line, ConcurrentQueue<string> stream)
    {
        if (line is not null)
        {
            stream.Enqueue(line);
            _output.Enqueue(line);
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}

/// <summary>How a <see cref="ServiceProcess.RunAsync"/> ended: exit code and the lines it wrote.</summary>
public sealed record ServiceRun(int ExitCode, string Stdout, string Stderr);
