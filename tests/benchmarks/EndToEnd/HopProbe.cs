using System.Diagnostics;
using MassTransit;
using Platform.Contracts.Caching;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using StackExchange.Redis;

namespace Platform.Benchmarks.EndToEnd;

/// <summary>
/// Times the hops of one write from outside the services: when its <c>ProductUpdated</c> reaches RabbitMQ (a queue
/// of the probe's own bound to the event's exchange) and when the invalidator's eviction of the product reaches the
/// Redis backplane channel (the probe subscribes like a node does). The invalidator's cache node id is learned by
/// sending it one invalidation request first, so its eviction is told apart from the writing node's own (ADR 009).
/// </summary>
internal sealed class HopProbe : IAsyncDisposable
{
    private readonly IConnection _rabbit;
    private readonly IChannel _channel;
    private readonly ConnectionMultiplexer _redis;
    private readonly string _productKey;
    private readonly string _marker = "bench:probe:" + Guid.NewGuid().ToString("N");
    private readonly TaskCompletionSource<string> _invalidatorNode = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _broker;
    private long _backplane;
    private TaskCompletionSource _bothSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HopProbe(IConnection rabbit, IChannel channel, ConnectionMultiplexer redis, long productId)
    {
        _rabbit = rabbit;
        _channel = channel;
        _redis = redis;
        _productKey = CacheNames.Product(productId);
    }

    /// <summary>Commit → the event in a queue on the broker, per write (ms; NaN when not seen).</summary>
    public List<double> Broker { get; } = [];

    /// <summary>Commit → the invalidator's eviction on the backplane, per write (ms; NaN when not seen).</summary>
    public List<double> Backplane { get; } = [];

    public static async Task<HopProbe> StartAsync(Uri rabbitUri, string redis, string cachePrefix, long productId, IBus bus)
    {
        var rabbit = await new ConnectionFactory { Uri = rabbitUri }.CreateConnectionAsync();
        var channel = await rabbit.CreateChannelAsync();
        var probe = new HopProbe(rabbit, channel, await ConnectionMultiplexer.ConnectAsync(redis), productId);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, "Platform.Contracts.Catalog:ProductUpdated", "");
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, _) =>
        {
            Interlocked.CompareExchange(ref probe._broker, Stopwatch.GetTimestamp(), 0);
            probe.SignalIfBothSeen();
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        await probe._redis.GetSubscriber().SubscribeAsync(new RedisChannel(cachePrefix + "bp", RedisChannel.PatternMode.Literal), (_, value) => probe.OnBackplane(value));

        await bus.Publish(new CacheInvalidationRequested([probe._marker], [], "benchmark probe", "benchmarks"));
        await probe._invalidatorNode.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return probe;
    }

    /// <summary>Forgets what arrived before this write committed.</summary>
    public void Arm()
    {
        Interlocked.Exchange(ref _broker, 0);
        Interlocked.Exchange(ref _backplane, 0);
        Volatile.Write(ref _bothSeen, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    /// <summary>Records this write's hops, waiting (bounded) for those that have not come yet.</summary>
    public async Task RecordAsync(long committed)
    {
        // The probe's own queue may be served after the invalidator's: wait for both hops (bounded), not just the later one.
        try
        {
            await Volatile.Read(ref _bothSeen).Task.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A hop not seen is recorded as such (NaN) and reported.
        }

        Broker.Add(Elapsed(committed, Interlocked.Read(ref _broker)));
        Backplane.Add(Elapsed(committed, Interlocked.Read(ref _backplane)));
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync();
        await _rabbit.CloseAsync();
        await _redis.CloseAsync();
    }

    private void SignalIfBothSeen()
    {
        if (Interlocked.Read(ref _broker) != 0 && Interlocked.Read(ref _backplane) != 0)
        {
            Volatile.Read(ref _bothSeen).TrySetResult();
        }
    }

    private static double Elapsed(long from, long to) => to == 0 ? double.NaN : Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    // seq|op|node|epoch|unixMs|name (the cache's backplane format).
    private void OnBackplane(RedisValue value)
    {
        var at = Stopwatch.GetTimestamp();
        var parts = ((string?)value ?? "").Split('|', 6);
        if (parts.Length < 6)
        {
            return;
        }

        if (parts[5] == _marker)
        {
            _invalidatorNode.TrySetResult(parts[2]);
        }
        else if (parts[5] == _productKey && _invalidatorNode.Task.IsCompletedSuccessfully && parts[2] == _invalidatorNode.Task.Result)
        {
            Interlocked.CompareExchange(ref _backplane, at, 0);
            SignalIfBothSeen();
        }
    }
}
