using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Hosting.Http;

/// <summary>
/// How every service reads JSON request bodies: numbers only as JSON numbers (never <c>"1"</c>), no unknown members, no
/// member twice (the last would win silently, after the first had been checked), and no string that PostgreSQL cannot
/// store or that is not UTF-16 text (<see cref="StorableText"/>). Each refusal is a <see cref="JsonException"/> with the
/// member's path, which the platform's exception handler answers with a 400 naming the field.
/// </summary>
public static class StrictJsonInput
{
    /// <summary>Makes <paramref name="options"/> strict (call before first use: the options freeze then).</summary>
    public static JsonSerializerOptions Apply(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.AllowDuplicateProperties = false;
        options.Converters.Insert(0, new StorableStringConverter());
        return options;
    }

    private sealed class StorableStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"The JSON value could not be converted to {typeof(string)}.");
            }

            var value = reader.GetString()!;
            return StorableText.IsStorable(value) ? value : throw new JsonException(StorableText.Reason);
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
