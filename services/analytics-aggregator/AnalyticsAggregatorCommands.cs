using System.CommandLine;
using Platform.Hosting.CommandLine;
using Platform.Messaging.Migrations;

namespace AnalyticsAggregator;

/// <summary>Verbs of the analytics-aggregator binary.</summary>
public static class AnalyticsAggregatorCommands
{
    public const string ServiceName = "analytics-aggregator";
    public const string Schema = "analytics";

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("analytics-aggregator: ingests catalog events and batch-computes analytics rollups. Run without a verb to serve HTTP.")
        {
            MigrateCommand.Create(ServiceName, Schema, typeof(AnalyticsAggregatorCommands).Assembly),
        };
        return PlatformCommandLine.InvokeAsync(root, args);
    }
}
