using System.Collections.Concurrent;
using System.Diagnostics;
using Platform.Testing;

namespace Platform.Caching.Tests;

/// <summary>
/// A write's trace reaches the other nodes: each node applying an invalidation from the backplane records a span whose
/// parent is the <c>cache evict</c> span that made it, whether it heard the message live or replayed it from the stream.
/// </summary>
public sealed class BackplaneTraceTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public BackplaneTraceTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CacheInvalidationExtensions.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task EveryOtherNodesApplyIsAChildOfTheEvictSpan()
    {
        await using var cluster = await CacheCluster.StartAsync(3);
        using var write = new Activity("test write").SetIdFormat(ActivityIdFormat.W3C).Start();

        await cluster[0].InvalidateAsync(["product:1"], ["products"]);
        write.Stop();

        var evict = Assert.Single(SpansOf(write.TraceId, CacheInvalidationExtensions.EvictActivityName));
        Assert.Equal(write.SpanId, evict.ParentSpanId);
        var applies = await AppliesAsync(write.TraceId, expected: 4);
        Assert.All(applies, apply =>
        {
            Assert.Equal(evict.SpanId, apply.ParentSpanId);
            Assert.Equal(ActivityKind.Consumer, apply.Kind);
            Assert.Equal(cluster[0].NodeId, apply.GetTagItem("platform.cache.sender"));
        });
        Assert.Equal(
            new[] { cluster[1].NodeId, cluster[1].NodeId, cluster[2].NodeId, cluster[2].NodeId }.Order(StringComparer.Ordinal),
            applies.Select(a => (string)a.GetTagItem("platform.cache.node")!).Order(StringComparer.Ordinal));
        Assert.Equal(["Remove", "Remove", "Tag", "Tag"], applies.Select(a => (string)a.GetTagItem("platform.cache.op")!).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(SpansOf(write.TraceId, CacheInvalidationExtensions.ApplyActivityName), a => (string?)a.GetTagItem("platform.cache.node") == cluster[0].NodeId);
    }

    [Fact]
    public async Task ANodeThatReplaysTheStreamAfterACutStillJoinsTheTrace()
    {
        await using var cluster = await CacheCluster.StartAsync(2, o => o.DegradedL1Ttl = TimeSpan.FromMinutes(5), viaProxy: true);
        await cluster[1].GetOrSetAsync("k", (_, _) => Task.FromResult("v1"));
        cluster.Proxy(1).Cut();
        await Eventually.TrueAsync(() => Task.FromResult(!cluster[1].IsBackplaneConnected), Deadline, "node 1 notices the disconnect");

        using (var write = new Activity("test write").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            await cluster[0].RemoveAsync("k");
            write.Stop();
            cluster.Proxy(1).Restore();

            var apply = Assert.Single(await AppliesAsync(write.TraceId, expected: 1));
            Assert.Equal(true, apply.GetTagItem("platform.cache.replayed"));
            Assert.Equal(cluster[1].NodeId, apply.GetTagItem("platform.cache.node"));
        }
    }

    [Fact]
    public async Task AnInvalidationOutsideATraceStartsNoSpanOnTheOtherNodes()
    {
        await using var cluster = await CacheCluster.StartAsync(2);
        await cluster[1].GetOrSetAsync("k", (_, _) => Task.FromResult("v1"));
        Assert.Null(Activity.Current);

        await cluster[0].RemoveAsync("k");
        await Eventually.TrueAsync(() => Task.FromResult(!cluster[1].IsFreshInL1("k")), Deadline, "node 1 applies the remove");

        Assert.DoesNotContain(_stopped, a => a.OperationName == CacheInvalidationExtensions.ApplyActivityName
            && (string?)a.GetTagItem("platform.cache.sender") == cluster[0].NodeId);
    }

    private List<Activity> SpansOf(ActivityTraceId trace, string name) =>
        [.. _stopped.Where(a => a.TraceId == trace && a.OperationName == name)];

    private async Task<List<Activity>> AppliesAsync(ActivityTraceId trace, int expected)
    {
        await Eventually.TrueAsync(() => Task.FromResult(SpansOf(trace, CacheInvalidationExtensions.ApplyActivityName).Count >= expected), Deadline, $"{expected} apply spans");
        var applies = SpansOf(trace, CacheInvalidationExtensions.ApplyActivityName);
        Assert.Equal(expected, applies.Count);
        return applies;
    }
}
