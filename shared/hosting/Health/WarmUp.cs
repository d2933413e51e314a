using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Hosting;

/// <summary>
/// <c>Service:WarmUp</c>: what a node does between listening and reporting ready, so its first requests cost what
/// later ones do (issue #16: the first minute after start had p99 3–4× steady state).
/// </summary>
public sealed class WarmUpOptions
{
    public const string Section = "Service:WarmUp";

    /// <summary>Off: ready as soon as the servers answer (tests that host many nodes turn it off).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>PostgreSQL connections opened (and returned to the pool) before ready: connecting and SCRAM cost ~5 ms each.</summary>
    public int PostgresConnections { get; set; } = 4;

    /// <summary>How many times each warm-up request runs: enough for the tiered JIT's first tier and its call counting.</summary>
    public int Rounds { get; set; } = 3;

    /// <summary>After this the node reports ready anyway (a warm-up failure must never keep a node out of service).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The hot paths a service warms: its own GET paths (sent to itself over loopback) and any in-process step.</summary>
public sealed class WarmUpPlan
{
    public List<string> Paths { get; } = [];

    public List<Func<IServiceProvider, CancellationToken, Task>> Steps { get; } = [];

    /// <summary>
    /// Other requests sent to itself over loopback after the paths, each round: a factory builds one (or null: skip it)
    /// with the round's services. For the middleware a GET does not reach (authentication with a key, authorization, a
    /// write's rate limit, reading a body); it must not change anything, since it runs on every start.
    /// </summary>
    public List<Func<IServiceProvider, CancellationToken, Task<HttpRequestMessage?>>> Requests { get; } = [];
}

public static partial class WarmUp
{
    /// <summary>
    /// Adds the warm-up: once the server listens, open <see cref="WarmUpOptions.PostgresConnections"/> pooled
    /// connections, run the plan's steps, and GET each plan path from this node (identity, br and gzip, HEAD too), so
    /// the JIT, the pools and the first cache entries are made before traffic; then one full garbage collection, so the
    /// process's first (and costliest) one is not taken during a request. A <c>warm-up</c> readiness check is
    /// Unhealthy (503 on <c>/health/ready</c>) until then. ReadyToRun (see <c>./platform</c>) removes most of the JIT; this does the rest.
    /// </summary>
    public static IHostApplicationBuilder AddWarmUp(this IHostApplicationBuilder builder, Action<WarmUpPlan>? configure = null)
    {
        builder.Services.AddOptions<WarmUpOptions>().BindConfiguration(WarmUpOptions.Section);
        var plan = new WarmUpPlan();
        configure?.Invoke(plan);
        builder.Services.AddSingleton(plan);
        builder.Services.AddSingleton<WarmUpState>();
        builder.Services.AddHostedService<WarmUpService>();
        builder.Services.AddHealthChecks().AddCheck<WarmUpCheck>("warm-up");
        return builder;
    }

    internal sealed class WarmUpState
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsDone => _done.Task.IsCompleted;

        public string Summary { get; private set; } = "warming up";

        public void Finish(string summary)
        {
            Summary = summary;
            _done.TrySetResult();
        }
    }

    internal sealed class WarmUpCheck(WarmUpState state) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(state.IsDone ? HealthCheckResult.Healthy(state.Summary) : HealthCheckResult.Unhealthy("warming up"));
    }

    internal sealed partial class WarmUpService(
        IServiceProvider services, IServer server, IHostApplicationLifetime lifetime, WarmUpPlan plan, WarmUpState state,
        IOptions<WarmUpOptions> options, ILogger<WarmUpService> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var settings = options.Value;
            if (!settings.Enabled)
            {
                state.Finish("off (Service:WarmUp:Enabled=false)");
                return;
            }

            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken);
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            deadline.CancelAfter(settings.Timeout);
            var requests = 0;
            var failures = 0;
            try
            {
                if (services.GetService<NpgsqlDataSource>() is { } db && settings.PostgresConnections > 0)
                {
                    var connections = await Task.WhenAll(Enumerable.Range(0, settings.PostgresConnections).Select(_ => db.OpenConnectionAsync(deadline.Token).AsTask()));
                    foreach (var connection in connections)
                    {
                        await connection.DisposeAsync();
                    }
                }

                foreach (var step in plan.Steps)
                {
                    await step(services, deadline.Token);
                }

                if ((plan.Paths.Count > 0 || plan.Requests.Count > 0) && OwnAddress() is { } address)
                {
                    using var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, UseProxy = false }) { BaseAddress = address };
                    async Task SendAsync(HttpRequestMessage request)
                    {
                        using var response = await client.SendAsync(request, deadline.Token);
                        await response.Content.CopyToAsync(Stream.Null, deadline.Token);
                        requests++;
                        failures += (int)response.StatusCode >= 500 ? 1 : 0;
                    }

                    for (var round = 0; round < settings.Rounds; round++)
                    {
                        foreach (var path in plan.Paths)
                        {
                            foreach (var (method, encoding) in Variants)
                            {
                                using var request = new HttpRequestMessage(method, path);
                                if (encoding is not null)
                                {
                                    request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);
                                }

                                await SendAsync(request);
                            }
                        }

                        foreach (var factory in plan.Requests)
                        {
                            if (await factory(services, deadline.Token) is { } request)
                            {
                                using (request)
                                {
                                    await SendAsync(request);
                                }
                            }
                        }
                    }
                }

                // The process's first collection marks everything start and warm-up allocated (nothing is older yet):
                // measured 17-27 ms of pause, which landed on one of the first requests after ready. Taken here, before
                // ready, the survivors are promoted once and the first requests' collections are ordinary gen0 ones.
                var collecting = System.Diagnostics.Stopwatch.StartNew();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                var collected = collecting.ElapsedMilliseconds;
                var summary = $"warmed in {clock.ElapsedMilliseconds} ms ({requests} requests, {failures} failed; heap collected in {collected} ms)";
                LogWarmed(logger, clock.ElapsedMilliseconds, requests, failures, collected);
                state.Finish(summary);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                LogTimedOut(logger, settings.Timeout);
                state.Finish($"warm-up timed out after {settings.Timeout}: ready anyway");
            }
            catch (Exception e) when (e is NpgsqlException or HttpRequestException or InvalidOperationException)
            {
                // A server down at start is the readiness checks' business; warming up must not keep the node out.
                LogFailed(logger, e.Message);
                state.Finish("warm-up failed (see the log): ready anyway");
            }
        }

        private static readonly (HttpMethod Method, string? Encoding)[] Variants =
            [(HttpMethod.Get, null), (HttpMethod.Get, "br, gzip"), (HttpMethod.Get, "gzip"), (HttpMethod.Head, "br, gzip")];

        private Uri? OwnAddress()
        {
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
            var first = addresses?.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
            if (first is null || !Uri.TryCreate(first.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://127.0.0.1", StringComparison.Ordinal).Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                return null;
            }

            return uri;
        }

        [LoggerMessage(Level = LogLevel.Information, Message = "Warmed up in {Milliseconds} ms: {Requests} requests to itself, {Failures} failed; heap collected in {CollectedMilliseconds} ms")]
        private static partial void LogWarmed(ILogger logger, long milliseconds, int requests, int failures, long collectedMilliseconds);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Warm-up did not finish within {Timeout}; reporting ready anyway")]
        private static partial void LogTimedOut(ILogger logger, TimeSpan timeout);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Warm-up failed ({Reason}); reporting ready anyway")]
        private static partial void LogFailed(ILogger logger, string reason);
    }
}
