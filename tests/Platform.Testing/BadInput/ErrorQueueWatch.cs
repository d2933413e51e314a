using System.Collections.Concurrent;
using Platform.Messaging.Wire;
using Xunit;

namespace Platform.Testing.BadInput;

/// <summary>
/// Reads a queue's <c>_error</c> queue and its <c>_skipped</c> queue (where MassTransit puts a message of a type no
/// consumer takes; the dead-letter mover drains it into the store like an error queue, with the reason) and keeps
/// every poison message it finds by marker, for the whole life of a test class: a message that arrives twice, or late,
/// is still seen.
/// </summary>
public sealed class ErrorQueueWatch(RawBroker broker, string queue)
{
    /// <summary>Headers that make a MassTransit-compatible fault readable: why (MT-Reason) and what was thrown.</summary>
    public static readonly string[] ReasonHeaders = [FaultHeaders.Message, FaultHeaders.ExceptionType];

    private readonly ConcurrentDictionary<string, List<BrokerMessage>> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<BrokerMessage>> _skipped = new(StringComparer.Ordinal);

    public string ErrorQueue => queue + "_error";

    public string SkippedQueue => queue + "_skipped";

    /// <summary>Waits until every one of <paramref name="poison"/> is in the error queue or the skipped queue, or the deadline passes.</summary>
    public async Task WaitForAsync(IReadOnlyList<PoisonMessage> poison, TimeSpan deadline)
    {
        try
        {
            await Eventually.TrueAsync(async () =>
            {
                await PollAsync();
                return poison.All(p => _errors.ContainsKey(p.Marker) || _skipped.ContainsKey(p.Marker));
            }, deadline, "every poison message settled");
        }
        catch (TimeoutException)
        {
            // What is missing is reported per message by AssertEachDeadLetteredOnceWithAReasonAsync.
        }
    }

    /// <summary>
    /// Fails for each of <paramref name="poison"/> that is not dead-lettered exactly once — in the error queue with
    /// MassTransit's fault headers, or in the skipped queue marked by MassTransit — unchanged.
    /// </summary>
    public async Task AssertEachDeadLetteredOnceWithAReasonAsync(IReadOnlyList<PoisonMessage> poison)
    {
        await PollAsync();
        var failures = new List<string>();
        foreach (var p in poison)
        {
            var errors = _errors.TryGetValue(p.Marker, out var e) ? e : [];
            var skipped = _skipped.TryGetValue(p.Marker, out var s) ? s : [];
            if (errors.Count + skipped.Count == 0)
            {
                failures.Add($"{p} → in neither {ErrorQueue} nor {SkippedQueue}: consumed as if valid, dropped, or still being redelivered");
                continue;
            }

            if (errors.Count + skipped.Count > 1)
            {
                failures.Add($"{p} → dead-lettered {errors.Count + skipped.Count} times: delivered again after it failed");
            }

            var (first, where) = errors.Count > 0 ? (errors[0], ErrorQueue) : (skipped[0], SkippedQueue);
            var readable = errors.Count > 0
                ? !string.IsNullOrWhiteSpace(first.Header(FaultHeaders.Reason)) && ReasonHeaders.Any(h => !string.IsNullOrWhiteSpace(first.Header(h)))
                : first.Header(FaultHeaders.Reason) == FaultHeaders.DeadLetterReason;
            if (!readable)
            {
                failures.Add($"{p} → in {where} without a readable reason (headers: {string.Join(", ", first.Headers.Keys)})");
            }

            if (!first.Body.AsSpan().SequenceEqual(p.Body))
            {
                failures.Add($"{p} → its body changed on the way to {where} ({first.Body.Length} bytes, sent {p.Body.Length})");
            }
        }

        if (failures.Count > 0)
        {
            Assert.Fail($"{failures.Count} of {poison.Count} poison messages to {queue} were not dead-lettered once with a reason "
                + $"(reproduce with {BadInputSettings.Reproduce}):\n" + string.Join('\n', failures.Take(40)));
        }
    }

    /// <summary>Whether a message carrying <paramref name="marker"/> reached the error queue (a valid one should not).</summary>
    public async Task<bool> InErrorQueueAsync(string marker)
    {
        await PollAsync();
        return _errors.ContainsKey(marker);
    }

    /// <summary>Fails if any poison message seen so far reached the error queue more than once.</summary>
    public async Task AssertNoneSeenTwiceAsync()
    {
        await PollAsync();
        var twice = _errors.Concat(_skipped).GroupBy(e => e.Key).Where(g => g.Sum(e => e.Value.Count) > 1).Select(g => g.Key).ToList();
        Assert.True(twice.Count == 0, $"dead-lettered more than once: {string.Join(", ", twice)}");
    }

    private async Task PollAsync()
    {
        Collect(await broker.DrainAsync(ErrorQueue), _errors);
        Collect(await broker.DrainAsync(SkippedQueue), _skipped);
    }

    private static void Collect(List<BrokerMessage> messages, ConcurrentDictionary<string, List<BrokerMessage>> into)
    {
        foreach (var message in messages)
        {
            var marker = message.Header(PoisonMessage.MarkerHeader);
            if (marker.Length > 0)
            {
                var list = into.GetOrAdd(marker, _ => []);
                lock (list)
                {
                    list.Add(message);
                }
            }
        }
    }
}
