using CacheInvalidator.Invalidation;
using Platform.Contracts.Caching;
using Platform.Contracts.Invalidation;

namespace CacheInvalidator.Tests.Invalidation;

public sealed class InvalidationRequestTests
{
    [Fact]
    public void DirectRequestInvalidatesExactlyWhatItNames()
    {
        var plan = InvalidationConsumer.For(new CacheInvalidationRequested(["catalog:product:1", "catalog:product:1"], ["category:2"], "manual fix", "pricing-service"));

        Assert.Equal(["catalog:product:1"], plan.Keys);
        Assert.Equal(["category:2"], plan.Tags);
    }

    public static TheoryData<CacheInvalidationRequested, string> BadRequests => new()
    {
        { new CacheInvalidationRequested([], [], "r", "svc"), "names no key and no tag" },
        { new CacheInvalidationRequested(["has space"], [], "r", "svc"), "keys[0] is not a valid cache key" },
        { new CacheInvalidationRequested([], ["tab\there"], "r", "svc"), "tags[0] is not a valid cache tag" },
        { new CacheInvalidationRequested([new string('k', 201)], [], "r", "svc"), "keys[0] is not a valid cache key" },
        { new CacheInvalidationRequested([.. Enumerable.Range(0, 101).Select(i => $"k{i}")], [], "r", "svc"), "has 101 keys" },
        { new CacheInvalidationRequested(["k"], [], "r", ""), "source must name the sending service" },
        { new CacheInvalidationRequested(["clé"], [], "r", "svc"), "keys[0] is not a valid cache key" },
        { new CacheInvalidationRequested(null!, ["t"], "r", "svc"), "keys is missing" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void InvalidDirectRequestIsRejectedWithAReadableReason(CacheInvalidationRequested request, string reason)
    {
        var error = Assert.Throws<InvalidInvalidationRequestException>(() => InvalidationConsumer.For(request));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetryIntervalsAreImmediateThenDoublingUpToTheCap()
    {
        var options = new InvalidatorOptions { ImmediateRetries = 2, ExponentialRetries = 4, MinRetryInterval = TimeSpan.FromSeconds(1), MaxRetryInterval = TimeSpan.FromSeconds(5) };

        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)], options.RetryIntervals());
    }
}
