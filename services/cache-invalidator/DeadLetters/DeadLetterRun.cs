using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Configuration;
using Platform.Hosting.Connections;
using Platform.Messaging.Bus;
using Spectre.Console;

namespace CacheInvalidator.DeadLetters;

/// <summary>
/// One invocation of a <c>dlq</c> verb: its values, its output and error writers (System.CommandLine's, so tests can
/// capture them), and the host that gives it a <see cref="DeadLetterService"/>.
/// </summary>
internal sealed class DeadLetterRun(string verb, ParseResult parse, Action<IHostApplicationBuilder>? configureHost, CancellationToken cancellationToken)
{
    private TextWriter Error => parse.InvocationConfiguration.Error;

    public T? Value<T>(Option<T> option) => parse.GetValue(option);

    public T? Value<T>(Argument<T> argument) => parse.GetValue(argument);

    public int Fail(int exitCode, string message)
    {
        Error.WriteLine($"{CacheInvalidatorCommands.ServiceName} {(verb == "dlq" ? "dlq" : "dlq " + verb)}: {message}");
        return exitCode;
    }

    /// <summary>Reports each bad input under the flag the user typed, and returns the usage exit code.</summary>
    public int Usage(InputErrors errors)
    {
        foreach (var (field, messages) in errors)
        {
            var flag = field switch
            {
                "ids" or "id" => "ID",
                "selection" => "ID…, --group or --all",
                "confirm" => "--yes",
                _ => "--" + field,
            };
            Fail(DeadLetterCommands.UsageError, $"{flag}: {string.Join("; ", messages)}");
        }

        return DeadLetterCommands.UsageError;
    }

    /// <summary>
    /// Builds the verb's host (configuration as the service reads it, PostgreSQL, RabbitMQ only for replay), validates
    /// it (exit 78 on a bad setting), runs <paramref name="action"/> and maps failures to the documented exit codes.
    /// </summary>
    public async Task<int> WithServiceAsync(
        Option<bool> json, bool needsBroker, Func<DeadLetterService, DeadLetterOutput, CancellationToken, Task<int>> action)
    {
        var output = new DeadLetterOutput(parse.InvocationConfiguration.Output, parse.GetValue(json));
        var builder = PlatformCommandLine.CreateBuilder(CacheInvalidatorCommands.ServiceName);
        // Logs go to stderr, so --json output on stdout stays parseable.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("CacheInvalidator", LogLevel.Warning);
        builder.AddPlatformPostgres();
        builder.AddDeadLetterOperations();
        if (needsBroker)
        {
            builder.Services.AddSingleton<IValidateOptions<ConnectionStringsOptions>, BusRegistration.RabbitMqConnectionValidator>();
        }

        configureHost?.Invoke(builder);
        try
        {
            return await PlatformCommandLine.RunAsync(
                builder, (services, ct) => action(services.GetRequiredService<DeadLetterService>(), output, ct), cancellationToken);
        }
        catch (DeadLetterNotFoundException e)
        {
            return Fail(DeadLetterCommands.NotFound, e.Message);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            return Fail(DeadLetterCommands.PartialFailure, $"cannot reach PostgreSQL: {e.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail(DeadLetterCommands.PartialFailure, "cancelled; see dlq history for what was done");
        }
    }
}

/// <summary>Tables (Spectre.Console) by default, JSON with <c>--json</c>.</summary>
internal sealed class DeadLetterOutput(TextWriter writer, bool json)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public IAnsiConsole Console { get; } = CreateConsole(writer);

    /// <summary>Progress bars only where someone watches: an interactive terminal, not --json, not a pipe.</summary>
    public bool ShowsProgress => !json && Console.Profile.Capabilities.Interactive;

    public void Write<T>(T value, Action<IAnsiConsole, T> render)
    {
        if (json)
        {
            writer.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        }
        else
        {
            render(Console, value);
        }
    }

    public async Task<T> WithProgressAsync<T>(string title, Func<IProgress<(int Done, int Total)>, Task<T>> work)
    {
        T result = default!;
        await Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title);
                result = await work(new Immediate(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                }));
            });
        return result;
    }

    // Colours and bars for a terminal; plain, wide text for a pipe or a file, where escape codes are noise and
    // 80-column wrapping breaks every long queue or type name.
    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var terminal = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = 240;
        }

        return console;
    }

    // Progress<T> posts to the thread pool, so updates could arrive out of order or after the bar closed.
    private sealed class Immediate(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
