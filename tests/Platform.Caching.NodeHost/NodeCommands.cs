namespace Platform.Caching.NodeHost;

/// <summary>
/// The node's line protocol; every command gets exactly one reply line. Keys, values and tags are single words.
/// <list type="bullet">
/// <item><c>getorset KEY VALUE [TAG…]</c> → <c>value V factory</c> (this call ran the factory, which returns VALUE) or <c>value V cached</c>.</item>
/// <item><c>getorset-single KEY VALUE</c> → the same with cluster single flight (waits for a lock holder up to a minute).</item>
/// <item><c>hang KEY</c> → <c>factory-started</c> once a cluster single-flight factory that never completes runs (the node holds the lock).</item>
/// <item><c>get KEY</c> → <c>value V</c> or <c>miss</c> (L1 then L2, no factory).</item>
/// <item><c>remove KEY</c>, <c>tag TAG</c> → <c>ok</c>.</item>
/// <item><c>fresh KEY</c> → <c>true</c> when L1 alone would answer a read, else <c>false</c>.</item>
/// <item><c>quit</c> → <c>bye</c>, then the process exits.</item>
/// </list>
/// Failures reply <c>error TYPE MESSAGE</c> on the same line, so the driver never waits for a reply that will not come.
/// </summary>
internal sealed class NodeCommands(TwoLevelCache cache)
{
    private static readonly CacheEntryOptions Plain = new() { Duration = TimeSpan.FromMinutes(10) };
    // A waiter gives up on the lock holder after the hard timeout: one minute, longer than a test waits for a reply,
    // so a waiter that gets a value took the lock over when it expired rather than giving up on it.
    private static readonly CacheEntryOptions SingleFlight = Plain with { ClusterSingleFlight = true, FactoryHardTimeout = TimeSpan.FromMinutes(1) };

    public async Task<(string Reply, bool Quit)> ExecuteAsync(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            return words switch
            {
                ["getorset", var key, var value, .. var tags] => (await GetOrSetAsync(key, value, Plain, tags), false),
                ["getorset-single", var key, var value] => (await GetOrSetAsync(key, value, SingleFlight, []), false),
                ["hang", var key] => (await HangAsync(key), false),
                ["get", var key] => (await cache.TryGetAsync<string>(key) is { HasValue: true } found ? $"value {found.Value}" : "miss", false),
                ["remove", var key] => (await Done(cache.RemoveAsync(key)), false),
                ["tag", var tag] => (await Done(cache.RemoveByTagAsync(tag)), false),
                ["fresh", var key] => (cache.IsFreshInL1(key) ? "true" : "false", false),
                ["quit"] => ("bye", true),
                _ => ($"error {nameof(ArgumentException)} unknown command '{line}'", false),
            };
        }
        catch (Exception e)
        {
            return ($"error {e.GetType().Name} {e.Message.ReplaceLineEndings(" ")}", false);
        }
    }

    private async Task<string> GetOrSetAsync(string key, string value, CacheEntryOptions options, string[] tags)
    {
        var ran = false;
        var result = await cache.GetOrSetAsync(key, (_, _) =>
        {
            ran = true;
            return Task.FromResult(value);
        }, options, tags);
        return $"value {result} {(ran ? "factory" : "cached")}";
    }

    private async Task<string> HangAsync(string key)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Left running on purpose: it holds the cluster lock until the process is killed (or disposes the cache).
        _ = cache.GetOrSetAsync<string>(key, async (_, token) =>
        {
            started.SetResult();
            await new TaskCompletionSource().Task.WaitAsync(token);
            return "never";
        }, SingleFlight).AsTask();
        await started.Task;
        return "factory-started";
    }

    private static async Task<string> Done(ValueTask invalidation)
    {
        await invalidation;
        return "ok";
    }
}
