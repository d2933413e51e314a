using Platform.Caching.Peers;
using Platform.Testing;
using Xunit.Abstractions;

namespace Platform.Caching.Tests;

/// <summary>
/// The coherence scenarios of the FusionCache comparison (ADR 001), run on both caches with a short N and asserted:
/// ours never serves a removed value where it guarantees not to; FusionCache 2.9 does where it is known to, and the
/// message names its issue, so a FusionCache release that fixes it fails here and is noticed. The counts go to the test
/// output; <c>fusion-peer</c> in <c>./platform bench --long</c> runs the same scenarios with a long N.
/// </summary>
public sealed class PeerCoherenceTests(ITestOutputHelper output)
{
    private const int Trials = 3;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    // Our documented bound while a node cannot hear invalidations, shortened so the test stays short.
    private static readonly TimeSpan DegradedTtl = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task ANodeCutOffWhileAnotherRemovesCatchesUpOnReconnectWhereFusionCacheKeepsTheOldValue()
    {
        var (ours, fusion) = await BothAsync(kind => CoherenceScenarios.CutNodeAsync(kind, TestServers.Redis, TestServers.RedisPort, 2, Window));

        Assert.Equal(0, ours.StaleReads);
        Assert.True(fusion.StaleTrials == fusion.Trials,
            $"FusionCache's backplane is pub/sub without replay: a node that was cut off keeps the removed value until its duration ends. {fusion.Describe()}");
    }

    [Fact]
    public async Task AFactoryThatStartedBeforeARemoveWritesItsOldValueBackOnlyOnFusionCache()
    {
        var (ours, fusion) = await BothAsync(kind => CoherenceScenarios.WriteBackAsync(kind, TestServers.Redis, TestServers.RedisPort, Trials, byTag: false));

        Assert.Equal(0, ours.StaleReads);
        Assert.True(fusion.StaleTrials == fusion.Trials,
            $"FusionCache issues 535/613/625: a factory that started before a Remove of its key stores its old value afterwards. {fusion.Describe()}");
    }

    [Fact]
    public async Task AFactoryThatStartedBeforeATagInvalidationWritesItsOldValueBackOnNeither()
    {
        var (ours, fusion) = await BothAsync(kind => CoherenceScenarios.WriteBackAsync(kind, TestServers.Redis, TestServers.RedisPort, Trials, byTag: true));

        Assert.Equal(0, ours.StaleReads);
        // FusionCache stamps a foreground factory's entry before the factory runs and compares it with the tag's
        // timestamp (issues 535, 628): on one machine's clock that settles this race. Across nodes it compares two
        // nodes' wall clocks, which this test cannot skew.
        Assert.True(fusion.StaleReads == 0,
            $"FusionCache 2.9 settled this race (issue 535); it no longer does. {fusion.Describe()}");
    }

    [Fact]
    public async Task ARemoveWhileRedisIsDownIsRefusedByOursButAcknowledgedByFusionCacheWhoseOtherNodeKeepsTheOldValue()
    {
        var (ours, fusion) = await BothAsync(kind => CoherenceScenarios.RedisRestartedAsync(kind, 1, 2 * DegradedTtl, o => o.DegradedL1Ttl = DegradedTtl));

        Assert.Equal(0, ours.AcknowledgedWhileDown);
        Assert.True(ours.MaxStaleMs <= DegradedTtl.TotalMilliseconds, ours.Describe());
        Assert.True(fusion.AcknowledgedWhileDown == fusion.Trials && fusion.StaleTrials == fusion.Trials,
            $"FusionCache acknowledges a Remove it could not record and the other node keeps serving the old value (its auto-recovery publishes it later). {fusion.Describe()}");
    }

    [Fact]
    public async Task ARemoveWhileRedisIsFrozenIsRefusedByOursButAcknowledgedByFusionCacheWhoseOtherNodeKeepsTheOldValue()
    {
        var (ours, fusion) = await BothAsync(kind => CoherenceScenarios.RedisFrozenAsync(kind, 1, 2 * DegradedTtl, o => o.DegradedL1Ttl = DegradedTtl));

        Assert.Equal(0, ours.AcknowledgedWhileDown);
        Assert.True(ours.MaxStaleMs <= DegradedTtl.TotalMilliseconds, ours.Describe());
        Assert.True(fusion.AcknowledgedWhileDown == fusion.Trials && fusion.StaleTrials == fusion.Trials,
            $"FusionCache acknowledges a Remove it could not record and the other node keeps serving the old value (its auto-recovery publishes it later). {fusion.Describe()}");
    }

    private async Task<(ScenarioCounts Ours, ScenarioCounts Fusion)> BothAsync(Func<PeerKind, Task<ScenarioCounts>> scenario)
    {
        // Each cache on its own prefix (and its own Redis where the scenario starts one): the two run side by side.
        var results = await Task.WhenAll(scenario(PeerKind.Ours), scenario(PeerKind.FusionCache));
        output.WriteLine(results[0].Describe());
        output.WriteLine(results[1].Describe());
        return (results[0], results[1]);
    }
}
