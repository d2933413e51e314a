using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Messaging.Bus;
using Platform.Messaging.Tests.Outbox;
using Platform.Testing;

namespace Platform.Messaging.Tests.Bus;

/// <summary>The message of the load, numbered in publish order.</summary>
public sealed record LoadTick(long Sequence);

/// <summary>A host with the platform bus (<c>AddPlatformBus</c>) on a given broker: a consumer node or a publisher node.</summary>
internal sealed class BusNode : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly IHost _host;
    private readonly CapturedLogs _logs;

    private BusNode(IHost host, CapturedLogs logs)
    {
        _host = host;
        _logs = logs;
    }

    public IBusControl Bus => _host.Services.GetRequiredService<IBusControl>();

    public ConsumedTicks Consumed => _host.Services.GetRequiredService<ConsumedTicks>();

    /// <summary>The bus's health with each endpoint's, e.g. <c>Degraded: t1-load Unhealthy faulted (The operation was canceled.)</c>.</summary>
    public string HealthDetail()
    {
        var health = Bus.CheckHealth();
        return $"{health.Status}: {string.Join("; ", health.Endpoints.Select(e => $"{e.Key} {e.Value.Status} {e.Value.Description}"))}";
    }

    /// <summary>What MassTransit logged at Warning and above, one entry a line.</summary>
    public string Log => string.Join('\n', _logs.Entries.TakeLast(40).Select(l => $"{l.Level} {l.Category}: {l.Message}"));

    public static Task<BusNode> StartConsumerAsync(Uri broker, string prefix) =>
        StartAsync(broker, prefix, x => x.AddConsumer<LoadConsumer, LoadConsumerDefinition>());

    public static Task<BusNode> StartPublisherAsync(Uri broker, string prefix) => StartAsync(broker, prefix, null);

    private static async Task<BusNode> StartAsync(Uri broker, string prefix, Action<IBusRegistrationConfigurator>? configure)
    {
        var builder = Host.CreateApplicationBuilder();
        var logs = new CapturedLogs();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(logs);
        builder.Configuration["ConnectionStrings:RabbitMq"] = broker.ToString();
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        builder.Services.AddSingleton<ConsumedTicks>();
        builder.AddPlatformBus(configure);
        var node = new BusNode(builder.Build(), logs);
        await node._host.StartAsync();
        await node.Bus.WaitForHealthStatus(BusHealthStatus.Healthy, Patience);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

/// <summary>How many ticks a node consumed, redeliveries included.</summary>
internal sealed class ConsumedTicks
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Add() => Interlocked.Increment(ref _count);
}

internal sealed class LoadConsumer(ConsumedTicks consumed) : IConsumer<LoadTick>
{
    public async Task Consume(ConsumeContext<LoadTick> context)
    {
        // Stands in for the invalidator's work, slower than the load (32 at once, at most 1,600 a second): the prefetch
        // is full and deliveries are in flight (unacked) when the broker dies, with a backlog behind them in the queue.
        await Task.Delay(TimeSpan.FromMilliseconds(20), context.CancellationToken);
        consumed.Add();
    }
}

/// <summary>The invalidator's endpoint settings (InvalidationConsumerDefinition with its defaults), on a durable quorum queue.</summary>
internal sealed class LoadConsumerDefinition : ConsumerDefinition<LoadConsumer>
{
    public LoadConsumerDefinition(IOptions<BusOptions> bus)
    {
        EndpointName = bus.Value.Prefixed("load");
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<LoadConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 64;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
        }

        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(
            TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800)));
    }
}
