using System.CommandLine;
using System.Globalization;
using AnalyticsAggregator.Rollups;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Connections;
using Platform.Hosting.Migrations;

namespace AnalyticsAggregator;

/// <summary>
/// Verbs of the analytics-aggregator binary: <c>migrate</c>, <c>rollup --once</c> and <c>recompute --from --to</c>.
/// They run against PostgreSQL directly (no bus), so they work while the service is down, and take the same lock as
/// the service's rollup loop, so they are safe while it runs. Exit codes: 0 ok, 1 failed, 2 usage, 78 configuration.
/// </summary>
public static class AnalyticsAggregatorCommands
{
    public const string ServiceName = "analytics-aggregator";
    public const string Schema = "analytics";

    public const int Ok = 0;
    public const int Failed = 1;
    public const int UsageError = 2;

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("analytics-aggregator: ingests catalog events and batch-computes analytics rollups. Run without a verb to serve HTTP.")
        {
            MigrateCommand.Create(ServiceName, Schema, typeof(AnalyticsAggregatorCommands).Assembly),
            RollupCommand(),
            RecomputeCommand(),
        };
        return PlatformCommandLine.InvokeAsync(root, args);
    }

    private static Command RollupCommand()
    {
        var once = new Option<bool>("--once") { Description = "Roll up everything committed before now, then exit (the service runs the loop)" };
        var command = new Command("rollup", "Fold ingested events into the daily statistics, exactly once; safe while the service runs.") { once };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!parse.GetValue(once))
            {
                await Console.Error.WriteLineAsync($"{ServiceName} rollup: pass --once (the service itself rolls up every Analytics:RollupInterval)");
                return UsageError;
            }

            return await WithJobAsync("rollup", async (job, settings, ct) =>
            {
                var result = await job.CatchUpAsync(settings.CatchUpTimeout, ct);
                Console.WriteLine(result.Events == 0
                    ? $"{ServiceName}: nothing to roll up (watermark {result.To})"
                    : $"{ServiceName}: rolled up {result.Events} events into {result.CategoryDays} category-days "
                      + $"({result.Categories.Count} categories, {result.Days[0]:yyyy-MM-dd} to {result.Days[^1]:yyyy-MM-dd}), watermark {result.To}, "
                      + $"in {result.Duration.TotalSeconds:0.00} s");
                return Ok;
            }, cancellationToken);
        });
        return command;
    }

    private static Command RecomputeCommand()
    {
        var from = new Option<string>("--from") { Description = "First UTC day to recompute, yyyy-MM-dd", Required = true };
        var to = new Option<string>("--to") { Description = "Last UTC day to recompute (inclusive), yyyy-MM-dd", Required = true };
        var command = new Command("recompute", "Rebuild whole days of statistics from the raw events (idempotent; equals what the incremental rollups counted).") { from, to };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var errors = new List<string>();
            var first = ParseDay(parse.GetValue(from), "--from", errors);
            var last = ParseDay(parse.GetValue(to), "--to", errors);
            if (errors.Count == 0 && first > last)
            {
                errors.Add("--from must not be after --to");
            }

            if (errors.Count == 0 && last.DayNumber - first.DayNumber + 1 > RollupJob.MaxRecomputeDays)
            {
                errors.Add($"--from to --to must span at most {RollupJob.MaxRecomputeDays} days; recompute longer ranges in parts");
            }

            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    await Console.Error.WriteLineAsync($"{ServiceName} recompute: {error}");
                }

                return UsageError;
            }

            return await WithJobAsync("recompute", async (job, _, ct) =>
            {
                var result = await job.RecomputeAsync(first, last, ct);
                Console.WriteLine($"{ServiceName}: recomputed {result.From:yyyy-MM-dd} to {result.To:yyyy-MM-dd}: {result.ProductRows} product rows, "
                    + $"{result.CategoryRows} category rows ({result.Categories.Count} categories) in {result.Duration.TotalSeconds:0.00} s");
                return Ok;
            }, cancellationToken);
        });
        return command;
    }

    private static async Task<int> WithJobAsync(
        string verb, Func<RollupJob, AnalyticsOptions, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        var builder = PlatformCommandLine.CreateBuilder(ServiceName);
        builder.AddPlatformPostgres();
        builder.AddAnalyticsCore();
        return await PlatformCommandLine.RunAsync(builder, async (services, ct) =>
        {
            try
            {
                return await action(services.GetRequiredService<RollupJob>(), services.GetRequiredService<IOptions<AnalyticsOptions>>().Value, ct);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                await Console.Error.WriteLineAsync($"{ServiceName} {verb}: {e.Message}");
                return Failed;
            }
            catch (NpgsqlException e)
            {
                await Console.Error.WriteLineAsync($"{ServiceName} {verb}: cannot reach PostgreSQL: {e.Message}");
                return Failed;
            }
        }, cancellationToken);
    }

    private static DateOnly ParseDay(string? value, string option, List<string> errors)
    {
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        errors.Add($"{option} must be a date like 2026-01-31, not '{value}'");
        return default;
    }
}
