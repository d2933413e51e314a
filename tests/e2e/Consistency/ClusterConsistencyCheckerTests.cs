using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>
/// The consistency checker on servers run as a cluster (docs/scaling.md), all of them its own: three RabbitMQ nodes and
/// Redis primary + replica + three Sentinels, while the node leading the invalidator's queue is killed, the Redis
/// primary is killed (Sentinel promotes the replica) and a RabbitMQ node leaves and comes back. It needs no cluster of
/// <c>./platform</c>'s, but takes minutes: it runs in <c>./platform test --cluster</c> (Category=Cluster).
/// </summary>
public sealed class ClusterConsistencyCheckerTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Cluster")]
    public Task ReadsStayWithinTheBoundLoseNoEventAndConvergeThroughClusterFaults() => ConsistencyCheckerTests.CheckAsync(output, replicated: true);
}
