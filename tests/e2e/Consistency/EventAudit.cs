using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Contracts.Catalog;
using Platform.Messaging.Bus;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>
/// A consumer of the checker's own on the checker's broker, bound to the same message exchanges as the
/// invalidator's queue: a message it received was routed to the invalidator's queue too (one publish, one confirm,
/// both queues bound before the first write). Its queue is a durable quorum queue, like the invalidator's, so
/// messages published while the broker restarts or this consumer reconnects wait for it instead of vanishing.
/// </summary>
internal sealed class EventAudit : IAsyncDisposable
{
    private readonly IHost _host;

    private EventAudit(IHost host) => _host = host;

    public AuditedMessages Received => _host.Services.GetRequiredService<AuditedMessages>();

    /// <summary>Starts it on <paramref name="broker"/>, or on a cluster's <paramref name="nodes"/> (<c>ConnectionStrings:RabbitMqNodes</c>).</summary>
    public static async Task<EventAudit> StartAsync(Uri broker, string? nodes, TimeSpan deadline)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The services' appsettings.json sits next to the test assembly and would raise this to Information.
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // Broker restarts are part of the run: MassTransit's reconnect warnings are expected noise.
        builder.Logging.AddFilter("MassTransit", LogLevel.Error);
        builder.Configuration["ConnectionStrings:RabbitMq"] = broker.ToString();
        builder.Configuration["ConnectionStrings:RabbitMqNodes"] = nodes;
        builder.Configuration["Bus:PrefetchCount"] = "500";
        builder.Services.AddSingleton<AuditedMessages>();
        builder.AddPlatformBus(x => x.AddConsumer<AuditConsumer>(typeof(AuditConsumerDefinition)));
        var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, deadline);
        return new EventAudit(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _host.StopAsync(stop.Token);
        _host.Dispose();
    }
}

/// <summary>MessageIds (the outbox message ids) the audit queue received, duplicates counted.</summary>
internal sealed class AuditedMessages
{
    private readonly ConcurrentDictionary<Guid, byte> _distinct = new();
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    public int Distinct => _distinct.Count;

    public void Add(Guid? messageId)
    {
        Interlocked.Increment(ref _total);
        _distinct.TryAdd(messageId ?? Guid.Empty, 0);
    }

    public bool Contains(Guid messageId) => _distinct.ContainsKey(messageId);
}

internal sealed class AuditConsumer(AuditedMessages received) : IConsumer<ProductUpdated>, IConsumer<ProductPriceChanged>
{
    public Task Consume(ConsumeContext<ProductUpdated> context)
    {
        received.Add(context.MessageId);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<ProductPriceChanged> context)
    {
        received.Add(context.MessageId);
        return Task.CompletedTask;
    }
}

internal sealed class AuditConsumerDefinition : ConsumerDefinition<AuditConsumer>
{
    public AuditConsumerDefinition() => EndpointName = "consistency-audit";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<AuditConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.SetQuorumQueue();
        }
    }
}
