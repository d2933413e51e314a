using System.CommandLine;
using Platform.DeadLetters;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Migrations;

namespace CacheInvalidator;

/// <summary>Verbs of the cache-invalidator binary.</summary>
public static class CacheInvalidatorCommands
{
    public const string ServiceName = "cache-invalidator";
    public const string Schema = "invalidator";

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("cache-invalidator: consumes domain events and evicts the affected cache entries on every node; dead-letter store and ops replay. Run without a verb to serve HTTP.")
        {
            MigrateCommand.Create(ServiceName, Schema, typeof(CacheInvalidatorCommands).Assembly),
            DeadLetterHosting.DeadLetterVerbs(ServiceName),
        };
        return PlatformCommandLine.InvokeAsync(root, args);
    }
}
