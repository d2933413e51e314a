using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Platform.Benchmarks.Support;

namespace Platform.Benchmarks.ReadPath;

/// <summary>
/// catalog-api nodes for the server benchmarks: the service's Release binary that <c>./platform up</c> builds
/// (<c>.platform/build/Catalog.Api</c>), or <c>--catalog-dll</c>, started as separate processes with the environment
/// <c>./platform</c> gives its nodes (read from <c>.platform/env</c>), each on a free loopback port.
/// </summary>
internal static class CatalogNodes
{
    /// <summary>Loads <c>.platform/env</c> (written by <c>./platform up</c> or <c>./platform servers</c>).</summary>
    public static PlatformEnvironment ReadEnvironment()
    {
        var file = Path.Combine(Repository.Root(), ".platform", "env");
        if (!File.Exists(file))
        {
            throw new InvalidOperationException($"{file} is missing: run ./platform servers (or ./platform up) first");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(file))
        {
            // Lines look like: export NAME='value'
            var text = line.Trim();
            if (!text.StartsWith("export ", StringComparison.Ordinal) || text.IndexOf('=', StringComparison.Ordinal) is var eq && eq < 0)
            {
                continue;
            }

            values[text[7..eq]] = text[(eq + 1)..].Trim('\'', '"');
        }

        string Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } set ? set
            : values.TryGetValue(name, out var value) ? value
            : throw new InvalidOperationException($"{name} is not in {file}");

        return new PlatformEnvironment(Get("PLATFORM_PG"), Get("PLATFORM_REDIS"), Get("PLATFORM_RABBITMQ"), Get("CATALOG_WRITE_KEY"));
    }

    /// <summary>The catalog-api binary: <paramref name="catalogDll"/> (<c>--catalog-dll</c>), else the one <c>./platform up</c> built.</summary>
    public static string FindBinary(string? catalogDll)
    {
        var binary = catalogDll ?? Path.Combine(Repository.Root(), ".platform", "build", "Catalog.Api", "Catalog.Api.dll");
        return File.Exists(binary)
            ? binary
            : throw new InvalidOperationException($"no catalog-api binary at {binary}: run ./platform up (it builds Release into .platform/build) or pass --catalog-dll");
    }

    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}

/// <summary>What <c>./platform</c> hands its services: connection strings and the catalog write key.</summary>
internal sealed record PlatformEnvironment(string Postgres, string Redis, string RabbitMq, string CatalogWriteKey);

/// <summary>One catalog-api process, killed on dispose.</summary>
internal sealed class CatalogNodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private CatalogNodeProcess(string name, Process process, Uri baseAddress)
    {
        Name = name;
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>
    /// Starts <paramref name="binary"/> as node <paramref name="name"/> with the environment <c>./platform</c> gives
    /// catalog nodes, then <paramref name="overrides"/>; its PostgreSQL sessions carry the node name as application name.
    /// </summary>
    public static CatalogNodeProcess Start(string binary, string name, PlatformEnvironment environment, IReadOnlyDictionary<string, string> overrides)
    {
        var port = CatalogNodes.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(binary)!,
        };
        start.ArgumentList.Add(binary);
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Service__NodeName"] = name;
        start.Environment["ConnectionStrings__Postgres"] = new Npgsql.NpgsqlConnectionStringBuilder(environment.Postgres) { ApplicationName = name }.ConnectionString;
        start.Environment["ConnectionStrings__Redis"] = environment.Redis;
        start.Environment["ConnectionStrings__RabbitMq"] = environment.RabbitMq;
        start.Environment["Auth__ApiKeys__0__Name"] = "catalog-writer";
        start.Environment["Auth__ApiKeys__0__Key"] = environment.CatalogWriteKey;
        start.Environment["Auth__ApiKeys__0__Scopes__0"] = "catalog:write";
        foreach (var (key, value) in overrides)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var node = new CatalogNodeProcess(name, process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => node.Record(e.Data);
        process.ErrorDataReceived += (_, e) => node.Record(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>Waits for <c>/health/ready</c> to answer 200; throws with the node's output if it exits or times out.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}:\n{string.Join('\n', _output.TakeLast(20))}");
            }

            try
            {
                using var response = await Client.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} not ready within {timeout}:\n{string.Join('\n', _output.TakeLast(20))}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
            while (_output.Count > 200 && _output.TryDequeue(out _))
            {
                // Only the tail is ever shown.
            }
        }
    }
}
