using System.CommandLine;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.DeadLetters.Operations;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Configuration;
using Platform.Hosting.Connections;
using Platform.Messaging.Bus;

namespace Platform.DeadLetters.Cli;

/// <summary>
/// One invocation of a <c>dlq</c> verb: its values, its output and error writers (System.CommandLine's, so tests can
/// capture them), and the host that gives it a <see cref="DeadLetterService"/>.
/// </summary>
internal sealed class DeadLetterRun(string serviceName, string verb, ParseResult parse, Action<IHostApplicationBuilder>? configureHost, CancellationToken cancellationToken)
{
    private TextWriter Error => parse.InvocationConfiguration.Error;

    public T? Value<T>(Option<T> option) => parse.GetValue(option);

    public T? Value<T>(Argument<T> argument) => parse.GetValue(argument);

    public int Fail(int exitCode, string message)
    {
        Error.WriteLine($"{serviceName} {(verb == "dlq" ? "dlq" : "dlq " + verb)}: {message}");
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
        var builder = PlatformCommandLine.CreateBuilder(serviceName);
        // Logs go to stderr, so --json output on stdout stays parseable.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Platform.DeadLetters", LogLevel.Warning);
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
