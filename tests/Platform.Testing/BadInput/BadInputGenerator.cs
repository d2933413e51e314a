using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

using Platform.Contracts.Catalog;
using Platform.Messaging.Wire;

namespace Platform.Testing.BadInput;

/// <summary>
/// Hostile input from one seed: strings (unicode, control characters, injection strings, very long), numbers
/// (negative, enormous, not quite numbers), JSON fragments and whole bodies (truncated, wrong types, deep, duplicate
/// keys, not JSON, not UTF-8), query values, path segments and header values. Everything it makes is a function of its
/// seed, so a failing case is reproduced from the seed its test prints.
/// </summary>
public sealed class BadInputGenerator
{
    private static readonly JsonSerializerOptions RawUnicode = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] Strings =
    [
        "", " ", "a", "null", "true", "0", "-1", "1e309", "NaN", "Infinity", "😀🔥", "\u0000", "\u0007", "\u001b[31m", "\r\n", "\t",
        "'; DROP TABLE catalog.products; --", "\" OR 1=1 --", "') OR ('1'='1", "<script>alert(1)</script>", "../../etc/passwd", "..\\..\\boot.ini",
        "%00", "%zz", "%2e%2e%2f", "\uFEFF", "\uD800", "\uDFFF", "\uFFFF", "Ω≈ç√", "ﬁ", "e\u0301", "\u202Egnp.exe", "a\u200Bb", "１２３", "١٢٣",
        "{{7*7}}", "${jndi:ldap://127.0.0.1/x}", "%s%s%n", "\\u0000", "*)(uid=*))(|(uid=*", "{\"$gt\":\"\"}", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>",
        "\r\nX-Injected: 1", "product-lists", "catalog:product:1", MessageUrns.For<ProductUpdated>(), "SELECT pg_sleep(10)",
    ];

    private static readonly string[] Numbers =
    [
        "-1", "0", "-0", "1e309", "-1e309", "NaN", "Infinity", "-Infinity", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "2147483648", "-2147483649", "99999999999999999999999999999999", "0.0000000001", "1.005", "0x1F", "1_000", "+1", " 1", "1 ", "１", "١",
        "007", "1e2", "-9999999999.999", "1/0", "1,5", "1.5", "", "4294967296", "18446744073709551616",
    ];

    private static readonly string[] JsonLiterals =
    [
        "null", "true", "false", "0", "-1", "1.5", "-0.001", "1e308", "-1e308", "1e400", "99999999999999999999999999999", "9223372036854775808",
        "-9223372036854775809", "2147483648", "[]", "[1,2]", "[null]", "{}", "{\"a\":1}", "\"\"", "\"text\"", "\"\\u0000\"", "\"\\ud800\"",
        "\"😀\"", "\"'; DROP TABLE x; --\"", "\"NaN\"", "\"1\"", "\"-1\"", "\"2026-13-45\"", "\"0001-01-01T00:00:00Z\"", "\"9999-12-31T23:59:59Z\"",
    ];

    /// <summary>
    /// Accept headers of real clients and odd ones: some admit a JSON answer (absent, <c>*/*</c>, a browser's), some refuse
    /// it (<c>text/html</c>, <c>text/plain</c>, <c>application/json;q=0</c>, nonsense). Every refusal must stay a refusal
    /// (never a 500) whatever the client accepts.
    /// </summary>
    public static readonly string[] AcceptHeaders =
    [
        "text/html", "text/plain", "application/xml", "image/png", "text/*", "application/json;q=0", "application/problem+json;q=0",
        "garbage", "text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8", "*/*", "application/json",
        "application/problem+json", "application/*", "",
    ];

    /// <summary>
    /// Strings PostgreSQL cannot store (they hold NUL) and UTF-16 that is not text (lone or reversed surrogates, which no
    /// UTF-8 encoder can write), as .NET strings. Put them in a JSON body with <see cref="JsonEscaped"/>.
    /// </summary>
    public static readonly string[] UnstorableStrings = ["\u0000", "a\u0000", "\u0000b", "a\u0000b\u0000", "\uD800", "a\uDFFF", "\uDC00\uD800", "x\uD83D"];

    /// <summary>Query or path text that decodes to NUL: PostgreSQL cannot store it; it must be refused naming its parameter.</summary>
    public static readonly string[] EncodedNul = ["%00", "a%00", "%00b", "a%00b"];

    /// <summary>Query or path text that is not UTF-8 (an encoded surrogate, an overlong form, a lone continuation byte).</summary>
    public static readonly string[] EncodedNotUtf8 = ["%ED%A0%80", "a%ED%B0%80", "%C0%80", "%80", "%FF%FE"];

    /// <summary>Days at the ends of what <see cref="DateOnly"/> can hold: a day ± a window there overflows.</summary>
    public static readonly string[] DayEdges = ["0001-01-01", "0001-01-02", "0001-01-29", "0001-01-30", "0001-12-31", "9998-12-31", "9999-12-01", "9999-12-30", "9999-12-31"];

    /// <summary>Times at the ends of what <see cref="DateTimeOffset"/> can hold, with and without offsets.</summary>
    public static readonly string[] TimeEdges =
    [
        "0001-01-01T00:00:00Z", "0001-01-01", "0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00-14:00", "9999-12-31T23:59:59Z", "9999-12-31",
        "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59-14:00", "9999-12-30T12:00:00+14:00",
    ];

    /// <summary>Durations ago longer than any retention (a century and more): subtracting them from now may leave the calendar.</summary>
    public static readonly string[] DurationEdges = ["999999d", "999999h", "99999d", "40000d", "876600h"];

    /// <summary>A reason that states the allowed range: "from X to Y", "between X and Y" or "at most X".</summary>
    public const string StatesRange = @"(?i)(from\s+\S+\s+to\s+\S+|between\s+\S+\s+and\s+\S+|at most\s+\S+)";

    public BadInputGenerator(int seed)
    {
        Seed = seed;
        Random = new Random(seed);
    }

    public int Seed { get; }

    public Random Random { get; }

    /// <summary>The generator of case <paramref name="index"/> against <paramref name="target"/> (see <see cref="BadInputSettings.CaseSeed"/>).</summary>
    public static BadInputGenerator For(string target, int index) => new(BadInputSettings.CaseSeed(target, index));

    public T Pick<T>(IReadOnlyList<T> items) => items[Random.Next(items.Count)];

    /// <summary>True about once in <paramref name="n"/> calls.</summary>
    public bool OneIn(int n) => Random.Next(n) == 0;

    /// <summary>A hostile string: a known nasty one, a long one, or random characters from every corner of Unicode.</summary>
    public string Text()
    {
        switch (Random.Next(8))
        {
            case 0:
                return new string(Pick("xé😀\u0000".ToCharArray()), Pick([201, 501, 1001, 2001, 10_000]));
            case 1:
            case 2:
                var length = Random.Next(1, 40);
                var text = new StringBuilder(length);
                for (var i = 0; i < length; i++)
                {
                    text.Append(Random.Next(6) switch
                    {
                        0 => (char)Random.Next(0, 0x20),
                        1 => (char)Random.Next(0x20, 0x7F),
                        2 => (char)Random.Next(0x80, 0x800),
                        3 => (char)Random.Next(0xD800, 0xE000),
                        4 => (char)Random.Next(0xE000, 0x10000),
                        _ => Pick("'\"\\;:%{}[]<>$`|&*?".ToCharArray()),
                    });
                }

                return text.ToString();
            default:
                return Pick(Strings);
        }
    }

    /// <summary>Text that is almost, or not at all, a whole number.</summary>
    public string Number() => Pick(Numbers);

    /// <summary>A query value: a hostile string or a hostile number.</summary>
    public string QueryValue() => OneIn(2) ? Number() : Text();

    /// <summary>A path segment, escaped so it reaches the router as the characters generated.</summary>
    public string PathSegment() => Escape(QueryValue());

    /// <summary>URL-escapes <paramref name="value"/> (lone surrogates, which no URL can carry, dropped).</summary>
    public static string Escape(string value) => Uri.EscapeDataString(RemoveLoneSurrogates(value));

    /// <summary>A header value an HTTP client can send (printable ASCII): odd keys, versions, tokens.</summary>
    public string HeaderValue()
    {
        var text = Random.Next(4) switch
        {
            0 => new string('k', Pick([1, 15, 16, 17, 64, 4096])),
            1 => Number(),
            _ => Text(),
        };
        var ascii = new string([.. text.Where(c => c is >= ' ' and <= '~')]).Trim();
        return ascii.Length == 0 ? "\"" : ascii;
    }

    /// <summary>A JSON fragment of any type: literals, enormous and negative numbers, hostile strings, deep nesting.</summary>
    public string JsonValue() => Random.Next(6) switch
    {
        0 or 1 => JsonString(Text()),
        2 => Nested(Pick([65, 300]), OneIn(2)),
        3 => "[" + string.Join(',', Enumerable.Range(0, Random.Next(1, 5)).Select(_ => Pick(JsonLiterals))) + "]",
        _ => Pick(JsonLiterals),
    };

    /// <summary>A JSON string literal holding <paramref name="value"/>; non-ASCII sometimes escaped, sometimes raw UTF-8.</summary>
    public string JsonString(string value) =>
        OneIn(2) ? JsonSerializer.Serialize(value) : JsonSerializer.Serialize(value, RawUnicode);

    /// <summary>
    /// A request body that must not be accepted: truncated or garbled JSON, not JSON at all, a bare value, or an object of
    /// random <paramref name="fields"/> holding random values — with <paramref name="forced"/> (a field that makes the
    /// body invalid, or that must keep one meaning) written last so no duplicate key can override it.
    /// </summary>
    public byte[] Body(IReadOnlyList<string> fields, params (string Name, string Json)[] forced)
    {
        var text = Random.Next(10) switch
        {
            0 => Truncated(fields),
            1 => Text(),
            2 => JsonValue(),
            3 => OneIn(2) ? "{\"" + fields[0] + "\": 1,}" : "{'" + fields[0] + "': 1} // comment",
            4 => "\uFEFF" + ObjectOf(fields, forced),
            5 => ObjectOf(fields, forced, duplicates: true),
            _ => ObjectOf(fields, forced),
        };
        if (OneIn(12))
        {
            // Not UTF-8: a lone continuation byte and an overlong encoding in the middle.
            var bytes = Encoding.UTF8.GetBytes(text).ToList();
            bytes.InsertRange(bytes.Count / 2, new byte[] { 0x80, 0xC0, 0xAF, 0xFF });
            return [.. bytes];
        }

        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>A JSON object of some of <paramref name="fields"/> with random values, then <paramref name="forced"/> in order.</summary>
    public string ObjectOf(IReadOnlyList<string> fields, IReadOnlyList<(string Name, string Json)> forced, bool duplicates = false)
    {
        var members = new List<string>();
        foreach (var field in fields)
        {
            if (OneIn(2) && !forced.Any(f => string.Equals(f.Name, field, StringComparison.OrdinalIgnoreCase)))
            {
                members.Add(JsonSerializer.Serialize(field) + ":" + JsonValue());
                if (duplicates)
                {
                    members.Add(JsonSerializer.Serialize(field) + ":" + JsonValue());
                }
            }
        }

        if (OneIn(4))
        {
            members.Add(JsonSerializer.Serialize(Pick(["unknown", "__proto__", "$type", "Id", "", "😀"])) + ":" + JsonValue());
        }

        members.AddRange(forced.Select(f => JsonSerializer.Serialize(f.Name) + ":" + f.Json));
        return "{" + string.Join(',', members) + "}";
    }

    /// <summary>
    /// <paramref name="value"/> as a JSON string literal with every character outside printable ASCII written as a
    /// <c>\uXXXX</c> escape, so NUL and lone surrogates reach the server as exactly these UTF-16 units (a serializer
    /// would replace a lone surrogate with U+FFFD).
    /// </summary>
    public static string JsonEscaped(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c is >= ' ' and <= '~' and not '"' and not '\\' ? c.ToString() : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }

        return text.Append('"').ToString();
    }

    /// <summary>A JSON object of exactly these members, in this order.</summary>
    public static string Object(IEnumerable<(string Name, string Json)> members) =>
        "{" + string.Join(',', members.Select(m => JsonSerializer.Serialize(m.Name) + ":" + m.Json)) + "}";

    /// <summary>Random bytes: not text, not JSON.</summary>
    public byte[] Bytes(int min, int max)
    {
        var bytes = new byte[Random.Next(min, max + 1)];
        Random.NextBytes(bytes);
        return bytes;
    }

    /// <summary><paramref name="bytes"/> of filler that is valid UTF-8 text inside a JSON string.</summary>
    public static string Filler(int bytes) => new('x', bytes);

    /// <summary>A short description of a body for failure messages.</summary>
    public static string Describe(ReadOnlySpan<byte> body)
    {
        var text = Encoding.UTF8.GetString(body[..Math.Min(body.Length, 160)]);
        var printable = new string([.. text.Select(c => char.IsControl(c) ? '·' : c)]);
        return body.Length > 160 ? $"{printable}… ({body.Length.ToString(CultureInfo.InvariantCulture)} bytes)" : printable;
    }

    /// <summary>Arrays or objects nested <paramref name="depth"/> deep: past System.Text.Json's default limit of 64.</summary>
    private static string Nested(int depth, bool arrays) => arrays
        ? new string('[', depth) + "1" + new string(']', depth)
        : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private string Truncated(IReadOnlyList<string> fields)
    {
        var whole = Object(fields.Select(f => (f, Pick(JsonLiterals))));
        return whole[..Random.Next(1, whole.Length - 1)];
    }

    private static string RemoveLoneSurrogates(string value)
    {
        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                text.Append(value[i]).Append(value[++i]);
            }
            else if (!char.IsSurrogate(value[i]))
            {
                text.Append(value[i]);
            }
        }

        return text.ToString();
    }
}
