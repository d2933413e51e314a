using System.Text;
using System.Text.Json;
using Platform.Messaging.Wire;
using Platform.Testing;
using Platform.Testing.BadInput;
using RabbitMQ.Client;

namespace CacheInvalidator.Tests.BadInput;

/// <summary>
/// The dead-letter mover is a receive endpoint too: it consumes the error queues. Poison failed by the invalidator is
/// stored once with its reason, and whatever else lands in an error queue — odd header types, invalid UTF-8, NUL,
/// enormous ids, no properties, an empty body — is stored once too, never requeued for ever, while the mover goes on.
/// </summary>
[Trait("Category", "BadInput")]
public sealed class DeadLetterMoverBadInputTests(InvalidatorWithMoverFixture fixture) : IClassFixture<InvalidatorWithMoverFixture>
{
    private static readonly PoisonKind[] FailingKinds =
        [PoisonKind.NotJson, PoisonKind.WrongShape, PoisonKind.WrongFieldTypes, PoisonKind.InvalidValues, PoisonKind.HugeBody, PoisonKind.WrongContentType];

    [Fact]
    public async Task PoisonFailedByTheInvalidatorIsStoredOnceWithItsReason()
    {
        var poison = FailingKinds.SelectMany(k => PoisonMessages.For(InvalidatorQueueFixture.Contract, k, fixture.RunMarker + "/store")).ToList();

        await fixture.SendAsync(poison);
        await WaitForStoredAsync(poison.Select(p => p.Marker));

        foreach (var p in poison)
        {
            var row = await RowAsync(p.Marker);
            Assert.True(row.Count == 1, $"{p}: stored {row.Count} times (reproduce with {BadInputSettings.Reproduce})");
            Assert.True(row.FailureCount == 1 && !string.IsNullOrWhiteSpace(row.ExceptionType) && !string.IsNullOrWhiteSpace(row.ExceptionMessage),
                $"{p}: stored with failure count {row.FailureCount}, exception '{row.ExceptionType}': '{row.ExceptionMessage}'");
        }

        await Eventually.TrueAsync(async () => await fixture.Broker.StateAsync(fixture.Watch.ErrorQueue) is { Messages: 0 },
            InvalidatorQueueFixture.Deadline, "error queue drained");
        await fixture.AssertAValidInvalidationStillEvictsAsync();
    }

    [Fact]
    public async Task AnythingInAnErrorQueueIsStoredOnceAndTheMoverGoesOn()
    {
        // MassTransit creates the error queue (quorum, like its endpoint) at the first fault; the mover never declares it.
        var first = PoisonMessages.For(InvalidatorQueueFixture.Contract, PoisonKind.NotJson, fixture.RunMarker + "/first").Take(1).ToList();
        await fixture.SendAsync(first);
        await WaitForStoredAsync([first[0].Marker]);

        var markers = new List<string>();
        for (var i = 0; i < BadInputSettings.Cases; i++)
        {
            var g = BadInputGenerator.For("mover/error-queue", i);
            var marker = $"{fixture.RunMarker}/raw/{i}";
            markers.Add(marker);
            var (properties, body) = Odd(g, marker);
            await fixture.Broker.PublishAsync(fixture.Watch.ErrorQueue, body, properties);
        }

        await WaitForStoredAsync(markers);
        foreach (var marker in markers)
        {
            Assert.Equal(1, (await RowAsync(marker)).Count);
        }

        await Eventually.TrueAsync(async () => await fixture.Broker.StateAsync(fixture.Watch.ErrorQueue) is { Messages: 0 },
            InvalidatorQueueFixture.Deadline, "error queue drained");
        var after = PoisonMessages.For(InvalidatorQueueFixture.Contract, PoisonKind.WrongShape, fixture.RunMarker + "/after").Take(1).ToList();
        await fixture.SendAsync(after);
        await WaitForStoredAsync([after[0].Marker]);
    }

    /// <summary>Properties and body no MassTransit fault would have, but a hand-made or foreign message in an error queue can.</summary>
    private static (BasicProperties Properties, byte[] Body) Odd(BadInputGenerator g, string marker)
    {
        var headers = new Dictionary<string, object?> { [PoisonMessage.MarkerHeader] = marker };
        for (var n = g.Random.Next(1, 6); n > 0; n--)
        {
            headers[g.Pick(["MT-Fault-Message", "MT-Fault-ExceptionType", "MT-Fault-InputAddress", "MT-Fault-Timestamp", "MT-Reason", "MT-Fault-MessageType", "x-odd", "x-nested"])] =
                g.Random.Next(12) switch
                {
                    // (NaN and infinities cannot get there: RabbitMQ 3.10 closes the publisher's connection on them.)
                    0 => g.Pick([double.MaxValue, double.MinValue, double.Epsilon, -0.0]),
                    1 => new Dictionary<string, object?> { ["deep"] = new Dictionary<string, object?> { ["deeper"] = new List<object?> { new Dictionary<string, object?> { ["x"] = "\u0000" } } } },
                    2 => new byte[] { 0xFF, 0xFE, 0x00, 0xC0, 0xAF },
                    3 => "nul\u0000inside",
                    4 => new string('h', g.Pick([1000, 60_000])),
                    5 => new Dictionary<string, object?> { ["a"] = "x\u0000", ["b"] = new List<object?> { 1, null, 2.5, "\u0000" } },
                    6 => new List<object?> { "a", 1L, true, null, new byte[] { 0x80 } },
                    7 => new AmqpTimestamp(g.Pick([long.MinValue, -1L, long.MaxValue])),
                    8 => g.Pick<object?>([null, true, 0m, 1.5m, long.MinValue, (byte)1, 1.5f]),
                    9 => g.Pick(["not a uri", "rabbitmq://", "rabbitmq://host/", "rabbitmq://host/vhost/%00", "9999-99-99", MessageUrns.Prefix]),
                    _ => g.Text(),
                };
        }

        var properties = new BasicProperties { Headers = headers };
        if (g.OneIn(2))
        {
            // Short strings of AMQP (at most 255 bytes); the marker first keeps every id distinct.
            properties.MessageId = g.Random.Next(4) switch { 0 => marker + new string('m', 200), 1 => marker + "\u0000nul", 2 => marker + Short(g.Text()), _ => "" };
        }

        if (g.OneIn(2))
        {
            properties.ContentType = g.Pick(["application/vnd.masstransit+json", "text/plain", "", "\u0000", Short(g.Text())]);
        }

        if (g.OneIn(3))
        {
            properties.Type = Short(g.Text());
            properties.CorrelationId = Short(g.Text());
            properties.Timestamp = new AmqpTimestamp(g.Random.NextInt64());
        }

        var body = g.Random.Next(4) switch
        {
            0 => [],
            1 => g.Bytes(1, 4096),
            // A string id in the envelope is the row's id when the properties carry none: it starts with the marker, so
            // two cases never share one (the store rightly keeps one row per message id). Other JSON is no id at all.
            2 => Encoding.UTF8.GetBytes("{\"messageId\": " + (g.OneIn(2) ? JsonSerializer.Serialize(marker + g.Text()) : g.Pick(["null", "0", "-1", "1e400", "[]", "{}", "true"]))
                + ", \"messageType\": " + g.JsonValue() + "}"),
            _ => Encoding.UTF8.GetBytes(g.Text()),
        };
        return (properties, body);
    }

    private static string Short(string text) => text.Length > 60 ? text[..60] : text;

    private Task WaitForStoredAsync(IEnumerable<string> markers)
    {
        var expected = markers.ToList();
        return Eventually.TrueAsync(async () =>
        {
            await using var command = fixture.Database.DataSource.CreateCommand(
                "SELECT count(DISTINCT headers->>'x-badinput-case') FROM invalidator.dead_letters WHERE headers->>'x-badinput-case' = ANY(@markers)");
            command.Parameters.AddWithValue("markers", expected.ToArray());
            return (long)(await command.ExecuteScalarAsync())! == expected.Count;
        }, InvalidatorQueueFixture.Deadline, $"{expected.Count} dead letters stored (reproduce with {BadInputSettings.Reproduce})");
    }

    private async Task<(int Count, int FailureCount, string? ExceptionType, string? ExceptionMessage)> RowAsync(string marker)
    {
        await using var command = fixture.Database.DataSource.CreateCommand("""
            SELECT count(*)::int, min(failure_count), min(exception_type), min(exception_message)
            FROM invalidator.dead_letters WHERE headers->>'x-badinput-case' = @marker
            """);
        command.Parameters.AddWithValue("marker", marker);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt32(0), reader.IsDBNull(1) ? 0 : reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }
}
