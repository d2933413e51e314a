using System.CommandLine;
using System.CommandLine.Invocation;
using Platform.DeadLetters.Operations;

namespace Platform.DeadLetters.Cli;

/// <summary>
/// The <c>dlq</c> verbs of the hosting service's binary (the cache invalidator's). They run against PostgreSQL (and RabbitMQ for replay)
/// directly, through the same <see cref="DeadLetterService"/> as the HTTP API, so they work while the service is down.
/// Exit codes: 0 ok, 1 partial failure (some replays failed, or a server was unreachable), 2 usage error,
/// 3 not found, 4 replay refused (a destination outside this deployment; the rest was replayed), 78 configuration error.
/// </summary>
public static class DeadLetterCommands
{
    public const int Ok = 0;
    public const int PartialFailure = 1;
    public const int UsageError = 2;
    public const int NotFound = 3;
    public const int Refused = 4;

    /// <summary>Above this many messages an interactive replay shows a progress bar.</summary>
    private const int ProgressThreshold = 5;

    /// <summary>The verbs of <paramref name="serviceName"/>'s binary; <paramref name="configureHost"/> lets tests hand them their own settings.</summary>
    internal static Command Create(string serviceName, Action<IHostApplicationBuilder>? configureHost = null)
    {
        var host = new VerbHost(serviceName, configureHost);
        var dlq = new Command("dlq", "Dead letters: list, group, show, replay and purge what failed every retry, and see who did what.")
        {
            ListCommand(host),
            GroupsCommand(host),
            ShowCommand(host),
            ReplayCommand(host),
            PurgeCommand(host),
            HistoryCommand(host),
        };
        dlq.Action = new DeadLetterVerb("dlq", host, run =>
            Task.FromResult(run.Fail(UsageError, "choose a verb: list, groups, show, replay, purge or history (see dlq --help)")));
        return dlq;
    }

    private static Command ListCommand(VerbHost host)
    {
        var filters = new FilterOptions();
        var status = new Option<string>("--status") { Description = "stored (default), replayed, purged or all" };
        var group = new Option<string>("--group") { Description = "Only this failure group (fingerprint from dlq groups)" };
        var limit = new Option<string>("--limit") { Description = $"At most this many rows (1-{DeadLetterInput.MaxLimit}, default {DeadLetterInput.DefaultLimit})" };
        var json = JsonOption();
        var command = new Command("list", "List dead letters, newest failure first.") { status, group, limit, json };
        filters.AddTo(command);
        command.Action = new DeadLetterVerb("list", host, async run =>
        {
            var errors = new InputErrors();
            var filter = filters.Parse(run, errors, run.Value(status), run.Value(group));
            var rows = DeadLetterInput.ParseLimit(run.Value(limit), errors);
            return errors.Count > 0 ? run.Usage(errors) : await run.WithServiceAsync(json, needsBroker: false, async (service, output, ct) =>
            {
                output.Write(await service.ListAsync(filter, rows, ct), DeadLetterConsole.List);
                return Ok;
            });
        });
        return command;
    }

    private static Command GroupsCommand(VerbHost host)
    {
        var json = JsonOption();
        var command = new Command("groups", "Stored dead letters grouped by failure fingerprint (exception type + message type + consumer).") { json };
        command.Action = new DeadLetterVerb("groups", host, run => run.WithServiceAsync(json, needsBroker: false, async (service, output, ct) =>
        {
            output.Write(await service.GroupsAsync(ct), DeadLetterConsole.Groups);
            return Ok;
        }));
        return command;
    }

    private static Command ShowCommand(VerbHost host)
    {
        var id = new Argument<string>("ID") { Description = "Dead letter id (from dlq list)" };
        var json = JsonOption();
        var command = new Command("show", "Everything stored about one dead letter: headers, body, exception and stack trace.") { id, json };
        command.Action = new DeadLetterVerb("show", host, async run =>
        {
            var errors = new InputErrors();
            var wanted = DeadLetterInput.ParseId(run.Value(id) ?? "", errors);
            return errors.Count > 0 ? run.Usage(errors) : await run.WithServiceAsync(json, needsBroker: false, async (service, output, ct) =>
            {
                var detail = await service.FindAsync(wanted, ct) ?? throw new DeadLetterNotFoundException("id", $"no dead letter has id {wanted}");
                output.Write(detail, DeadLetterConsole.Show);
                return Ok;
            });
        });
        return command;
    }

    private static Command ReplayCommand(VerbHost host)
    {
        var selection = new SelectionOptions("replay");
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be replayed; change nothing" };
        var actor = ActorOption();
        var json = JsonOption();
        var command = new Command("replay", "Publish dead letters back to their original queue (confirmed by the broker), then mark them replayed.")
        {
            dryRun, actor, json,
        };
        selection.AddTo(command);
        command.Action = new DeadLetterVerb("replay", host, async run =>
        {
            var errors = new InputErrors();
            var chosen = selection.Parse(run, errors);
            var who = Actor(run, actor, errors);
            if (errors.Count > 0)
            {
                return run.Usage(errors);
            }

            return await run.WithServiceAsync(json, needsBroker: !run.Value(dryRun), async (service, output, ct) =>
            {
                if (run.Value(dryRun))
                {
                    output.Write(await service.ReplayAsync(chosen, dryRun: true, who, null, ct), DeadLetterConsole.Operation);
                    return Ok;
                }

                // Counting first (a dry run) decides whether a bar is worth drawing; only when someone can see it.
                var result = output.ShowsProgress && (await service.ReplayAsync(chosen, dryRun: true, who, null, ct)).Selected > ProgressThreshold
                    ? await output.WithProgressAsync("Replaying", progress => service.ReplayAsync(chosen, dryRun: false, who, progress, ct))
                    : await service.ReplayAsync(chosen, dryRun: false, who, null, ct);
                output.Write(result, DeadLetterConsole.Operation);
                foreach (var item in result.Items.Where(i => i.Outcome == "refused"))
                {
                    run.Fail(Refused, $"refused to replay id {item.Id}: {item.Reason}");
                }

                return result.Refused > 0 ? Refused : result.Failed > 0 ? PartialFailure : Ok;
            });
        });
        return command;
    }

    private static Command PurgeCommand(VerbHost host)
    {
        var selection = new SelectionOptions("purge");
        var yes = new Option<bool>("--yes") { Description = "Confirm a purge of a whole group or of all (not needed for ids or --dry-run)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be purged; change nothing" };
        var actor = ActorOption();
        var json = JsonOption();
        var command = new Command("purge", "Mark dead letters purged: they stay in the store for the audit trail but are no longer listed or replayed.")
        {
            yes, dryRun, actor, json,
        };
        selection.AddTo(command);
        command.Action = new DeadLetterVerb("purge", host, async run =>
        {
            var errors = new InputErrors();
            var chosen = selection.Parse(run, errors);
            if ((chosen.All || chosen.Group is not null) && !run.Value(yes) && !run.Value(dryRun))
            {
                errors.Report("confirm", $"purging {(chosen.All ? "--all" : "a --group")} needs --yes (run it with --dry-run first to see what it would purge)");
            }

            var who = Actor(run, actor, errors);
            if (errors.Count > 0)
            {
                return run.Usage(errors);
            }

            return await run.WithServiceAsync(json, needsBroker: false, async (service, output, ct) =>
            {
                output.Write(await service.PurgeAsync(chosen, run.Value(dryRun), who, ct), DeadLetterConsole.Operation);
                return Ok;
            });
        });
        return command;
    }

    private static Command HistoryCommand(VerbHost host)
    {
        var limit = new Option<string>("--limit") { Description = $"At most this many entries (1-{DeadLetterInput.MaxLimit}, default {DeadLetterInput.DefaultLimit})" };
        var json = JsonOption();
        var command = new Command("history", "Who replayed or purged what, when, and how many, newest first.") { limit, json };
        command.Action = new DeadLetterVerb("history", host, async run =>
        {
            var errors = new InputErrors();
            var rows = DeadLetterInput.ParseLimit(run.Value(limit), errors);
            return errors.Count > 0 ? run.Usage(errors) : await run.WithServiceAsync(json, needsBroker: false, async (service, output, ct) =>
            {
                output.Write(await service.HistoryAsync(rows, ct), DeadLetterConsole.History);
                return Ok;
            });
        });
        return command;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Write JSON (for scripts) instead of tables" };

    /// <summary>The history's actor: <c>--actor</c>, else the OS user.</summary>
    private static DeadLetterActor Actor(DeadLetterRun run, Option<string> option, InputErrors errors)
    {
        var name = run.Value(option) ?? Environment.UserName;
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            errors.Report("actor", "must be 1-200 characters");
        }

        return new DeadLetterActor(name.Trim(), "cli");
    }

    private static Option<string> ActorOption() =>
        new("--actor") { Description = "Name recorded in the history (default: the OS user)" };

    /// <summary>The list filters; on replay and purge they narrow --group or --all.</summary>
    private sealed class FilterOptions
    {
        private readonly Option<string> _type = new("--type") { Description = "Message type, full (Platform.Contracts.Catalog.ProductUpdated) or short (ProductUpdated)" };
        private readonly Option<string> _exception = new("--exception") { Description = "Exception type, full or short (TimeoutException)" };
        private readonly Option<string> _since = new("--since") { Description = "Last failed at or after: 30s, 15m, 2h, 7d ago, or an ISO 8601 time" };
        private readonly Option<string> _queue = new("--queue") { Description = "Error queue or original queue name" };

        public void AddTo(Command command)
        {
            command.Options.Add(_type);
            command.Options.Add(_exception);
            command.Options.Add(_since);
            command.Options.Add(_queue);
        }

        public DeadLetterFilter Parse(DeadLetterRun run, InputErrors errors, string? status, string? group) =>
            DeadLetterInput.ParseFilter(status, run.Value(_type), run.Value(_exception), run.Value(_since), run.Value(_queue), group, TimeProvider.System.GetUtcNow(), errors);

        public (string? Type, string? Exception, string? Since, string? Queue) Values(DeadLetterRun run) =>
            (run.Value(_type), run.Value(_exception), run.Value(_since), run.Value(_queue));
    }

    /// <summary><c>ID…</c> | <c>--group G</c> | <c>--all</c>, plus the filters.</summary>
    private sealed class SelectionOptions(string verb)
    {
        // Strings, parsed like the HTTP API's ids, so a bad one is reported under ID with the same words.
        private readonly Argument<string[]> _ids = new("ID") { Description = $"Dead letter ids to {verb}", Arity = ArgumentArity.ZeroOrMore };
        private readonly Option<string> _group = new("--group") { Description = $"{char.ToUpperInvariant(verb[0])}{verb[1..]} every stored dead letter of this failure group" };
        private readonly Option<bool> _all = new("--all") { Description = $"{char.ToUpperInvariant(verb[0])}{verb[1..]} every stored dead letter (narrow with the filters)" };
        private readonly FilterOptions _filters = new();

        public void AddTo(Command command)
        {
            command.Arguments.Add(_ids);
            command.Options.Add(_group);
            command.Options.Add(_all);
            _filters.AddTo(command);
        }

        public DeadLetterSelection Parse(DeadLetterRun run, InputErrors errors)
        {
            var (type, exception, since, queue) = _filters.Values(run);
            var ids = (run.Value(_ids) ?? []).Select(text => DeadLetterInput.ParseId(text, errors)).ToList();
            if (errors.Count > 0)
            {
                return new DeadLetterSelection([], null, false, new DeadLetterFilter());
            }

            return DeadLetterInput.ParseSelection(
                ids, run.Value(_group), run.Value(_all), type, exception, since, queue, TimeProvider.System.GetUtcNow(), errors);
        }
    }

    /// <summary>The binary the verbs belong to, and the tests' extra host settings.</summary>
    private sealed record VerbHost(string ServiceName, Action<IHostApplicationBuilder>? Configure);

    /// <summary>
    /// A verb's action. It clears System.CommandLine's own parse-error handling (exit 1) so a bad flag gets a message
    /// naming it and the documented usage exit code 2.
    /// </summary>
    private sealed class DeadLetterVerb(string verb, VerbHost host, Func<DeadLetterRun, Task<int>> run)
        : AsynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken)
        {
            var context = new DeadLetterRun(host.ServiceName, verb, parseResult, host.Configure, cancellationToken);
            if (parseResult.UnmatchedTokens.Count > 0)
            {
                var token = parseResult.UnmatchedTokens[0];
                var what = token.StartsWith('-') ? "option" : verb == "dlq" ? "verb" : "argument";
                return context.Fail(UsageError, $"unknown {what} '{token}' (see --help)");
            }

            if (parseResult.Errors.Count > 0)
            {
                return context.Fail(UsageError, string.Join("; ", parseResult.Errors.Select(e => e.Message)) + " (see --help)");
            }

            return await run(context);
        }
    }
}
