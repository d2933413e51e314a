using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using MassTransit;
using Platform.Contracts;

namespace Platform.Messaging.Wire;

/// <summary>
/// The plain JSON wire format (<c>application/json</c>): the message's own JSON as the whole body, no MassTransit
/// envelope, for publishers that talk RabbitMQ without MassTransit. The type is named by the AMQP <c>type</c>
/// property (or MassTransit's <c>MT-MessageType</c> header), as a stable name (<c>caching.invalidation-requested.v1</c>,
/// <see cref="MessageTypes"/>) or a message URN (<see cref="MessageUrns"/>); a message that names none is the
/// endpoint's default type. docs/publishing.md is the publisher's guide; ADR 016 the decision.
/// </summary>
public static class PlainJson
{
    /// <summary>The content type of a plain JSON message.</summary>
    public const string ContentType = "application/json";

    /// <summary>MassTransit's header naming the message types of a raw message (its URNs, separated by ';').</summary>
    public const string MessageTypeHeader = MessageHeaders.MessageType;

    /// <summary>
    /// The type a plain JSON message names (<paramref name="named"/>: its AMQP <c>type</c> property or
    /// <see cref="MessageTypeHeader"/>), among <paramref name="accepted"/>; <paramref name="fallback"/> when it names none.
    /// False with a reason a sender can act on when the name is unknown here.
    /// </summary>
    public static bool TryResolve(string? named, IReadOnlyList<Type> accepted, Type fallback, [NotNullWhen(true)] out Type? type, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        ArgumentNullException.ThrowIfNull(fallback);
        error = null;
        if (string.IsNullOrWhiteSpace(named))
        {
            type = fallback;
            return true;
        }

        // MT-MessageType may list several URNs (the type, then what it implements): the first is the type.
        var name = named.Split(';')[0].Trim();
        type = accepted.FirstOrDefault(t =>
            (MessageTypes.TryGetName(t, out var stable) && stable.Equals(name, StringComparison.Ordinal))
            || MessageUrns.For(t).Equals(name, StringComparison.Ordinal));
        if (type is not null)
        {
            return true;
        }

        error = $"unknown message type {Clip(name)}; known: {Known(accepted)}";
        return false;
    }

    /// <summary>The names a sender may use for <paramref name="accepted"/>: stable names, in the order given.</summary>
    public static string Known(IReadOnlyList<Type> accepted) =>
        string.Join(", ", accepted.Select(t => MessageTypes.TryGetName(t, out var stable) ? stable : MessageUrns.For(t)));

    /// <summary>
    /// Checks that <paramref name="body"/> is a JSON object carrying every required field of <paramref name="type"/>
    /// (its constructor parameters without a default, matched as the bus matches them: case-insensitively), and that
    /// it deserializes with <paramref name="options"/>. False with one reason naming the field, e.g. <c>missing field keys</c>.
    /// </summary>
    public static bool TryCheckFields(JsonElement body, Type type, JsonSerializerOptions options, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(options);
        if (body.ValueKind == JsonValueKind.Undefined)
        {
            error = $"the body is empty; send a JSON object with the fields of {NameOf(type)}";
            return false;
        }

        if (body.ValueKind != JsonValueKind.Object)
        {
            error = $"the body is a JSON {body.ValueKind.ToString().ToLowerInvariant()}, not an object with the fields of {NameOf(type)}";
            return false;
        }

        var present = new HashSet<string>(body.EnumerateObject().Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
        var missing = RequiredFields(type, options).Where(f => !present.Contains(f)).ToList();
        if (missing.Count > 0)
        {
            error = $"missing field{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing)}";
            return false;
        }

        try
        {
            _ = body.Deserialize(type, options);
        }
        catch (JsonException e)
        {
            var path = e.Path is { Length: > 2 } p ? p[2..] : null;
            error = path is null ? $"the body does not fit {NameOf(type)}: {e.Message}" : $"field {path} has a wrong value: {FirstSentence(e.Message)}";
            return false;
        }

        error = null;
        return true;
    }

    private static IEnumerable<string> RequiredFields(Type type, JsonSerializerOptions options)
    {
        // Contracts are positional records: their widest public constructor is the primary one.
        var constructor = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).MaxBy(c => c.GetParameters().Length);
        return constructor is null
            ? []
            : constructor.GetParameters().Where(p => !p.HasDefaultValue).Select(p => options.PropertyNamingPolicy?.ConvertName(p.Name!) ?? p.Name!);
    }

    private static string NameOf(Type type) => MessageTypes.TryGetName(type, out var stable) ? stable : type.Name;

    private static string FirstSentence(string message) => message.Split(". ", 2)[0].TrimEnd('.');

    private static string Clip(string value) => value.Length > 200 ? value[..200] + "…" : value;
}
