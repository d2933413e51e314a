using System.Globalization;
using System.Text;
using Platform.Messaging.Wire;
using RabbitMQ.Client;

namespace Platform.Testing.BadInput;

/// <summary>What is wrong with a poison message.</summary>
public enum PoisonKind
{
    /// <summary>The body is not JSON at all (random bytes, text, invalid UTF-8, empty).</summary>
    NotJson,

    /// <summary>JSON, but not a MassTransit envelope: a bare value, an array, an envelope without or with a mistyped messageType, too deep.</summary>
    WrongShape,

    /// <summary>A well-formed envelope whose messageType this queue has no consumer for.</summary>
    UnknownMessageType,

    /// <summary>A message type the queue consumes, with a field of the wrong JSON type.</summary>
    WrongFieldTypes,

    /// <summary>A message type the queue consumes, with required fields missing.</summary>
    MissingFields,

    /// <summary>Well-typed, but values the consumer must refuse (the queue's own rules).</summary>
    InvalidValues,

    /// <summary>Megabytes: of garbage, or of an envelope that is wrong inside.</summary>
    HugeBody,

    /// <summary>A valid envelope of a consumed type under a content type no consumer reads.</summary>
    WrongContentType,
}

/// <summary>The JSON type of a contract field, to generate right and wrong values for it.</summary>
public enum FieldKind
{
    Long,
    Int,
    Decimal,
    Text,
    Time,
    TextList,
    LongList,
    DateList,
}

/// <summary>A message contract as it travels: its MassTransit URN and its camelCase fields.</summary>
public sealed record MessageContract(string Urn, IReadOnlyList<(string Name, FieldKind Kind)> Fields);

/// <summary>
/// What a queue consumes, for generating its poison: the contracts it handles, real contracts it does not
/// (<see cref="Foreign"/>), and the queue's own invalid values.
/// </summary>
public sealed record QueueContract(string Name, IReadOnlyList<MessageContract> Consumed, IReadOnlyList<string> Foreign)
{
    /// <summary>Messages of a consumed type that are well typed but must be refused; null when the queue has no such rules.</summary>
    public Func<BadInputGenerator, (string Urn, string MessageJson, bool WithMessageId)>? InvalidValues { get; init; }

    public IReadOnlyList<PoisonKind> Kinds =>
        [.. Enum.GetValues<PoisonKind>().Where(k => k != PoisonKind.InvalidValues || InvalidValues is not null)];
}

/// <summary>One poison message: what it is, the marker header that finds it again, and its bytes.</summary>
public sealed record PoisonMessage(PoisonKind Kind, int Index, int Seed, string Marker, byte[] Body, string? ContentType, bool WithMessageId)
{
    /// <summary>What is wrong with it, in words (the message type and the fields concerned), for failure messages.</summary>
    public string Note { get; init; } = "";

    /// <summary>Header every poison message carries, so it is recognised in an error queue or a dead-letter store.</summary>
    public const string MarkerHeader = "x-badinput-case";

    public BasicProperties Properties() => new()
    {
        ContentType = ContentType,
        MessageId = WithMessageId ? Guid.NewGuid().ToString() : null,
        DeliveryMode = DeliveryModes.Persistent,
        Headers = new Dictionary<string, object?> { [MarkerHeader] = Marker },
    };

    public override string ToString() =>
        $"{Kind} case {Index} (seed {Seed}, {ContentType ?? "no content type"}{(Note.Length > 0 ? ", " + Note : "")}): {BadInputGenerator.Describe(Body)}";
}

/// <summary>
/// Generates poison for a queue: for each kind, <see cref="BadInputSettings.Cases"/> spread over the kinds (at least
/// one each). Envelopes are MassTransit's JSON envelope, which is the wire contract of every queue here.
/// </summary>
public static class PoisonMessages
{
    public const string EnvelopeContentType = JsonEnvelope.ContentType;

    private static readonly string[] WrongContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "application/vnd.masstransit+xml", "application/vnd.masstransit+bson",
        "image/png", "multipart/form-data; boundary=x",
    ];

    /// <summary>Cases per kind for one queue: the configured count spread over the kinds, at least one of each.</summary>
    public static int PerKind(QueueContract queue) => Math.Max(1, (BadInputSettings.Cases + queue.Kinds.Count - 1) / queue.Kinds.Count);

    /// <summary>Huge bodies per queue at most: each is megabytes, and more of them test volume, not variety.</summary>
    public const int MaxHugeBodies = 8;

    public static IReadOnlyList<PoisonMessage> For(QueueContract queue, PoisonKind kind, string runMarker)
    {
        var messages = new List<PoisonMessage>();
        var count = kind == PoisonKind.HugeBody ? Math.Min(PerKind(queue), MaxHugeBodies) : PerKind(queue);
        for (var i = 0; i < count; i++)
        {
            var g = BadInputGenerator.For($"{queue.Name}/{kind}", i);
            var (body, contentType, withId, note) = Make(queue, kind, g);
            messages.Add(new PoisonMessage(kind, i, g.Seed, $"{runMarker}/{kind}/{i}", body, contentType, withId) { Note = note });
        }

        return messages;
    }

    /// <summary>A MassTransit JSON envelope around <paramref name="messageJson"/>.</summary>
    public static string Envelope(string urn, string messageJson, Guid? messageId) =>
        BadInputGenerator.Object(Members(urn, messageJson, messageId));

    /// <summary>A valid message of <paramref name="contract"/>: right types, plausible values.</summary>
    public static string ValidMessage(MessageContract contract, BadInputGenerator g) =>
        BadInputGenerator.Object(contract.Fields.Select(f => (f.Name, ValidValue(f.Kind, g))));

    private static (byte[] Body, string? ContentType, bool WithMessageId, string Note) Make(QueueContract queue, PoisonKind kind, BadInputGenerator g)
    {
        var (body, contentType, withId) = MakeBody(queue, kind, g, out var note);
        return (body, contentType, withId, note);
    }

    private static (byte[] Body, string? ContentType, bool WithMessageId) MakeBody(QueueContract queue, PoisonKind kind, BadInputGenerator g, out string note)
    {
        note = "";
        var contract = g.Pick(queue.Consumed);
        var type = contract.Urn[(contract.Urn.LastIndexOf(':') + 1)..];
        var id = Guid.NewGuid();
        switch (kind)
        {
            case PoisonKind.NotJson:
                var notJson = g.Random.Next(4) switch
                {
                    0 => g.Bytes(1, 2048),
                    1 => Encoding.UTF8.GetBytes("x" + g.Text()),
                    2 => [0xEF, 0xBB, 0xBF, (byte)'{', 0xC0, 0xAF, (byte)'}'],
                    _ => Encoding.UTF8.GetBytes("{\"messageId\": \"" + id + "\", \"messageType\": [\"" + contract.Urn + "\"], \"message\": {"),
                };
                return (notJson, g.OneIn(4) ? null : EnvelopeContentType, true);

            case PoisonKind.WrongShape:
                var valid = ValidMessage(contract, g);
                string shape = g.Random.Next(9) switch
                {
                    0 => g.Pick(["null", "42", "\"text\"", "true", "[]", "[1,2,3]"]),
                    1 => "{}",
                    2 => BadInputGenerator.Object([("message", valid)]),
                    3 => BadInputGenerator.Object([("messageId", Quote(id)), ("messageType", Quote(contract.Urn)), ("message", valid)]),
                    4 => BadInputGenerator.Object([("messageId", Quote(id)), ("messageType", "[123]"), ("message", valid)]),
                    5 => BadInputGenerator.Object([("messageId", Quote(id)), ("messageType", "[]"), ("message", valid)]),
                    6 => BadInputGenerator.Object([("messageId", Quote(id)), ("messageType", "{\"a\":1}"), ("message", valid)]),
                    7 => new string('[', 200) + new string(']', 200),
                    _ => "[" + Envelope(contract.Urn, valid, id) + "]",
                };
                return (Encoding.UTF8.GetBytes(shape), EnvelopeContentType, true);

            case PoisonKind.UnknownMessageType:
                var urn = g.Random.Next(5) switch
                {
                    0 when queue.Foreign.Count > 0 => g.Pick(queue.Foreign),
                    // A type in the contract's own namespace that does not exist (a publisher's newer or misspelt event).
                    1 => contract.Urn[..(contract.Urn.LastIndexOf(':') + 1)] + "ProductExploded",
                    2 => MessageUrns.Prefix + g.Text(),
                    3 => g.Pick(["not-a-urn", MessageUrns.Prefix, MessageUrns.For<string>(), MessageUrns.For<object>()]),
                    _ => contract.Urn + "V2",
                };
                note = "type " + urn;
                return (Encoding.UTF8.GetBytes(Envelope(urn, ValidMessage(contract, g), id)), EnvelopeContentType, true);

            case PoisonKind.WrongFieldTypes:
                var wrong = g.Random.Next(contract.Fields.Count);
                var bare = g.OneIn(6);
                note = bare ? $"{type} that is not an object" : $"{type} with {contract.Fields[wrong].Name} mistyped";
                var message = bare
                    ? g.Pick(["\"text\"", "[1,2]", "42", "true"])
                    : BadInputGenerator.Object(contract.Fields.Select((f, i) => (f.Name, i == wrong || g.OneIn(5) ? WrongValue(f.Kind, g) : ValidValue(f.Kind, g))));
                return (Encoding.UTF8.GetBytes(Envelope(contract.Urn, message, id)), EnvelopeContentType, true);

            case PoisonKind.MissingFields:
                var keep = contract.Fields.Where(_ => g.OneIn(2)).ToList();
                if (keep.Count == contract.Fields.Count)
                {
                    keep.RemoveAt(g.Random.Next(keep.Count));
                }

                note = $"{type} without {string.Join(", ", contract.Fields.Except(keep).Select(f => f.Name))}";
                var partial = BadInputGenerator.Object(keep.Select(f => (f.Name, ValidValue(f.Kind, g))));
                return (Encoding.UTF8.GetBytes(Envelope(contract.Urn, partial, id)), EnvelopeContentType, true);

            case PoisonKind.InvalidValues:
                var (invalidUrn, invalidMessage, withId) = queue.InvalidValues!(g);
                note = invalidUrn[(invalidUrn.LastIndexOf(':') + 1)..] + (withId ? "" : " without a message id");
                return (Encoding.UTF8.GetBytes(Envelope(invalidUrn, invalidMessage, withId ? id : null)), EnvelopeContentType, withId);

            case PoisonKind.HugeBody:
                var size = g.Pick([300 * 1024, 1024 * 1024, 3 * 1024 * 1024]);
                byte[] huge = g.Random.Next(3) switch
                {
                    0 => g.Bytes(size, size),
                    1 => Encoding.UTF8.GetBytes(Envelope(contract.Urn,
                        BadInputGenerator.Object(contract.Fields.Select((f, i) => (f.Name, i == 0 ? Quote(BadInputGenerator.Filler(size)) : ValidValue(f.Kind, g)))), id)),
                    _ => Encoding.UTF8.GetBytes(Envelope(contract.Urn, "[" + string.Join(',', Enumerable.Repeat(ValidMessage(contract, g), size / 64)) + "]", id)),
                };
                return (huge, EnvelopeContentType, true);

            default:
                // What a misconfigured publisher sends: the content type says what the bytes are, and neither is a JSON envelope.
                // (A valid JSON envelope under a wrong label is read by MassTransit anyway; see the report of the suite.)
                var (label, bytes) = g.Pick(WrongContentTypes) switch
                {
                    var xml when xml is "application/xml" or "application/vnd.masstransit+xml" =>
                        (xml, Encoding.UTF8.GetBytes($"<?xml version=\"1.0\"?><envelope><messageId>{id}</messageId><messageType>{contract.Urn}</messageType></envelope>")),
                    "application/x-www-form-urlencoded" => ("application/x-www-form-urlencoded", Encoding.UTF8.GetBytes($"messageId={id}&messageType={Uri.EscapeDataString(contract.Urn)}")),
                    "image/png" => ("image/png", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, .. g.Bytes(16, 256)]),
                    "application/vnd.masstransit+bson" => ("application/vnd.masstransit+bson", [0x16, 0x00, 0x00, 0x00, 0x02, (byte)'a', 0x00, .. g.Bytes(8, 64)]),
                    var other => (other, Encoding.UTF8.GetBytes("messageType: " + contract.Urn + "\n" + g.Text())),
                };
                return (bytes, label, true);
        }
    }

    private static IEnumerable<(string, string)> Members(string urn, string messageJson, Guid? messageId)
    {
        if (messageId is { } id)
        {
            yield return (JsonEnvelope.MessageId.Value, Quote(id));
            yield return (JsonEnvelope.ConversationId.Value, Quote(Guid.NewGuid()));
        }

        yield return (JsonEnvelope.MessageType.Value, "[" + Quote(urn) + "]");
        yield return (JsonEnvelope.Message.Value, messageJson);
        yield return (JsonEnvelope.SentTime.Value, Quote(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
        yield return (JsonEnvelope.Headers.Value, "{}");
    }

    private static string ValidValue(FieldKind kind, BadInputGenerator g) => kind switch
    {
        FieldKind.Long => (g.Random.NextInt64(1, 1_000_000) + 1_000_000_000).ToString(CultureInfo.InvariantCulture),
        FieldKind.Int => g.Random.Next(1, 100).ToString(CultureInfo.InvariantCulture),
        FieldKind.Decimal => "12.5",
        FieldKind.Text => "\"badinput\"",
        FieldKind.Time => Quote(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)),
        FieldKind.TextList => "[\"badinput:key\"]",
        FieldKind.LongList => "[1000000001]",
        _ => Quote(DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) is var day ? "[" + day + "]" : "",
    };

    private static string WrongValue(FieldKind kind, BadInputGenerator g) => kind switch
    {
        FieldKind.Long or FieldKind.Int => g.Pick(["\"abc\"", "1.5", "1e400", "99999999999999999999999", "true", "[]", "{}", "null", "\"\""]),
        FieldKind.Decimal => g.Pick(["\"abc\"", "1e400", "true", "[]", "{}", "null"]),
        FieldKind.Text => g.Pick(["5", "true", "[]", "{}", "1.5", "[\"a\"]"]),
        FieldKind.Time => g.Pick(["\"not a time\"", "\"2026-13-45T25:61:00Z\"", "12345", "true", "[]", "{}", "\"\"", "null"]),
        FieldKind.TextList => g.Pick(["\"not-a-list\"", "5", "{}", "[1,2]", "[[\"a\"]]", "true"]),
        FieldKind.LongList => g.Pick(["[\"a\"]", "\"x\"", "{}", "[1.5]", "[99999999999999999999999]", "true"]),
        _ => g.Pick(["[\"2026-02-30\"]", "[5]", "\"2026-01-01\"", "{}", "[\"yesterday\"]"]),
    };

    private static string Quote(object value) => System.Text.Json.JsonSerializer.Serialize(Convert.ToString(value, CultureInfo.InvariantCulture));
}
