using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RabbitMQ.Client;

namespace Platform.DeadLetters.Mover;

/// <summary>
/// AMQP field values to JSON and back. Byte strings (how AMQP strings arrive) become JSON strings when they are
/// UTF-8 without NUL (jsonb refuses \u0000), else <c>{"$base64": …}</c>; timestamps become <c>{"$timestamp": unix}</c>.
/// </summary>
internal static class AmqpValues
{
    private const string Base64Key = "$base64";
    private const string TimestampKey = "$timestamp";
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static JsonObject ToJson(IDictionary<string, object?>? table)
    {
        var json = new JsonObject();
        if (table is null)
        {
            return json;
        }

        foreach (var (name, value) in table)
        {
            json[name] = ToJson(value);
        }

        return json;
    }

    public static Dictionary<string, object?> ToTable(JsonObject json, Func<string, bool> keep)
    {
        var table = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in json)
        {
            if (keep(name))
            {
                table[name] = FromJson(value);
            }
        }

        return table;
    }

    /// <summary>A header's value as text (lenient: invalid UTF-8 becomes U+FFFD), or null.</summary>
    public static string? AsText(object? value) => value switch
    {
        null => null,
        byte[] bytes => Text(Encoding.UTF8.GetString(bytes)),
        string text => Text(text),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    /// <summary>PostgreSQL text cannot hold NUL; nothing an operator reads needs one.</summary>
    public static string Text(string value) => value.Contains('\0', StringComparison.Ordinal) ? value.Replace('\0', '\uFFFD') : value;

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        byte[] bytes => Utf8WithoutNul(bytes) is { } text ? JsonValue.Create(text) : new JsonObject { [Base64Key] = Convert.ToBase64String(bytes) },
        string text => text.Contains('\0', StringComparison.Ordinal) ? new JsonObject { [Base64Key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text)) } : JsonValue.Create(text),
        bool b => JsonValue.Create(b),
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u => JsonValue.Create(u),
        float or double => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        decimal d => JsonValue.Create(d),
        AmqpTimestamp t => new JsonObject { [TimestampKey] = t.UnixTime },
        IDictionary<string, object?> table => ToJson(table),
        IList list => new JsonArray([.. list.Cast<object?>().Select(ToJson)]),
        _ => JsonValue.Create(Text(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")),
    };

    private static object? FromJson(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject o when o.Count == 1 && o[Base64Key] is JsonValue b64 && b64.TryGetValue<string>(out var base64):
                return Convert.FromBase64String(base64);
            case JsonObject o when o.Count == 1 && o[TimestampKey] is JsonValue ts && ts.TryGetValue<long>(out var unix):
                return new AmqpTimestamp(unix);
            case JsonObject o:
                return ToTable(o, _ => true);
            case JsonArray a:
                return a.Select(FromJson).ToList();
            case JsonValue v when v.TryGetValue<string>(out var text):
                // RabbitMQ.Client writes a string as an AMQP long string, the same wire type it arrived as.
                return text;
            case JsonValue v when v.TryGetValue<bool>(out var flag):
                return flag;
            case JsonValue v when v.TryGetValue<long>(out var integer):
                return integer;
            case JsonValue v when v.TryGetValue<double>(out var real):
                return real;
            default:
                return node.ToJsonString();
        }
    }

    private static string? Utf8WithoutNul(byte[] bytes)
    {
        if (bytes.AsSpan().Contains((byte)0))
        {
            return null;
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
