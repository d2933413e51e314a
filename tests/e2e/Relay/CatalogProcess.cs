extern alias catalog;

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Platform.Testing;
using CatalogProgram = catalog::Program;

namespace Platform.EndToEnd.Tests.Relay;

/// <summary>
/// A real catalog-api node: the service's own binary (<c>dotnet Catalog.Api.dll</c>) in a process of its own,
/// configured through environment variables the way <c>./platform up</c> starts it. Only a separate process can be
/// killed with SIGKILL, mid-batch, without taking the test with it. Its stdout (JSON log lines) is kept for asserts.
/// </summary>
internal sealed class CatalogProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private CatalogProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The node name (<c>Service:NodeName</c>), also its PostgreSQL application name.</summary>
    public string Name { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts the node with <paramref name="settings"/> (environment variables, <c>__</c> for <c>:</c>) on a free
    /// loopback port. Its PostgreSQL sessions carry <see cref="Name"/> as application name, so a test can tell which
    /// node's session holds a lock.
    /// </summary>
    public static CatalogProcess Start(string name, string postgres, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The content root: appsettings.json of the service is copied next to the test assembly.
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(typeof(CatalogProgram).Assembly.Location);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Service__NodeName"] = name;
        start.Environment["ConnectionStrings__Postgres"] = new Npgsql.NpgsqlConnectionStringBuilder(postgres) { ApplicationName = name }.ConnectionString;
        start.Environment["ConnectionStrings__Redis"] = TestServers.Redis;
        start.Environment["ConnectionStrings__RabbitMq"] = TestServers.RabbitMq.ToString();
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var node = new CatalogProcess(name, process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => node.Record(e.Data);
        process.ErrorDataReceived += (_, e) => node.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200 (Degraded included); fails early with the log if the process exits.</summary>
    public Task WaitReadyAsync(TimeSpan timeout) =>
        Eventually.TrueAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} during start:\n{Output}");
                }

                try
                {
                    using var response = await Client.GetAsync("/health/ready");
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            timeout,
            $"{Name} ready");

    /// <summary>True once a stdout log line contains <paramref name="text"/>.</summary>
    public bool HasLogged(string text) => _output.Any(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>SIGKILL: no shutdown hooks, no rollback, sockets dropped by the kernel — a crashed node.</summary>
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
        Client.Dispose();
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
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
