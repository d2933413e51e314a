using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;
using Platform.Testing;

namespace Platform.DeadLetters.Tests;

/// <summary>What <see cref="FlakyConsumer"/> does now, and what it received while succeeding.</summary>
internal sealed class ConsumerBehaviour
{
    private readonly ConcurrentDictionary<Guid, int> _received = new();

    public volatile bool Fail = true;

    public IReadOnlyCollection<Guid> Received => [.. _received.Keys];

    public int Deliveries(Guid messageId) => _received.TryGetValue(messageId, out var count) ? count : 0;

    public void Record(Guid messageId) => _received.AddOrUpdate(messageId, 1, (_, count) => count + 1);

    public Task WaitForAsync(IEnumerable<Guid> ids)
    {
        var expected = ids.ToList();
        return Eventually.TrueAsync(() => Task.FromResult(expected.All(_received.ContainsKey)), DeadLetterHarness.Patience, $"{expected.Count} messages consumed");
    }
}

/// <summary>The invalidator's consumer as far as these tests care: it throws while told to, and records what it consumed otherwise.</summary>
internal sealed class FlakyConsumer(ConsumerBehaviour behaviour) : IConsumer<ProductUpdated>, IConsumer<CacheInvalidationRequested>
{
    public Task Consume(ConsumeContext<ProductUpdated> context) =>
        behaviour.Fail ? throw new InvalidOperationException($"eviction failed for product {context.Message.ProductId}") : Record(context);

    public Task Consume(ConsumeContext<CacheInvalidationRequested> context) =>
        behaviour.Fail ? throw new TimeoutException($"Redis did not answer for '{context.Message.Reason}'") : Record(context);

    private Task Record(ConsumeContext context)
    {
        behaviour.Record(context.MessageId ?? Guid.Empty);
        return Task.CompletedTask;
    }
}

/// <summary>The MassTransit host of <see cref="FlakyConsumer"/>.</summary>
internal sealed class ConsumerHost(IHost host, ConsumerBehaviour behaviour) : IAsyncDisposable
{
    private bool _disposed;

    public ConsumerBehaviour Behaviour => behaviour;

    /// <summary>Publishes a <see cref="ProductUpdated"/> and returns its message id.</summary>
    public async Task<Guid> PublishProductUpdatedAsync(long productId)
    {
        var id = NewId.NextGuid();
        await host.Services.GetRequiredService<IPublishEndpoint>().Publish(
            new ProductUpdated(productId, 7, 7, "active", 2, DateTimeOffset.UtcNow), context => context.MessageId = id);
        return id;
    }

    public async Task<Guid> PublishInvalidationRequestedAsync(string reason)
    {
        var id = NewId.NextGuid();
        await host.Services.GetRequiredService<IPublishEndpoint>().Publish(
            new CacheInvalidationRequested(["product:1"], [], reason, "tests"), context => context.MessageId = id);
        return id;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await host.StopAsync();
        host.Dispose();
    }
}
