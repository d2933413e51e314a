using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Platform.Caching;
using Platform.Caching.NodeHost;
using StackExchange.Redis;

// A cache node in a process of its own. Prints "ready <node id>", then answers one line per command read on
// stdin (see NodeCommands). Exits on "quit" or when stdin closes, so a test that dies leaves no orphan behind.
if (!NodeSettings.TryParse(args, out var settings, out var usage))
{
    await Console.Error.WriteLineAsync(usage);
    return 2;
}

var options = new CacheOptions
{
    KeyPrefix = settings.Prefix,
    ClusterLockDuration = settings.ClusterLockDuration,
    GapCheckInterval = settings.GapCheckInterval,
};
Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

// Logs go to stderr: stdout carries the protocol only.
using var logging = LoggerFactory.Create(builder => builder
    .SetMinimumLevel(LogLevel.Information)
    .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
    .AddSimpleConsole(console => console.SingleLine = true));

var configuration = Platform.Hosting.Connections.RedisConnection.CreateOptions(settings.Redis);
using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
await using var cache = new TwoLevelCache(options, connection, logging.CreateLogger<TwoLevelCache>());
await cache.StartAsync();

var commands = new NodeCommands(cache);
Console.Out.WriteLine($"ready {cache.NodeId}");
while (await Console.In.ReadLineAsync() is { } line)
{
    var (reply, quit) = await commands.ExecuteAsync(line);
    Console.Out.WriteLine(reply);
    if (quit)
    {
        break;
    }
}

return 0;
