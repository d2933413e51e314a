using System.Diagnostics;
using System.Text.Json;
using Platform.Contracts;

namespace Platform.Messaging.Outbox;

/// <summary>The one serializer of outbox payloads and headers, shared by the writers and the relay.</summary>
internal static class OutboxJson
{
    public const string SourceHeader = "source";
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";

    /// <summary>System.Text.Json web defaults (camelCase): the same shape the contracts tests round-trip.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Headers(string source, Activity? activity)
    {
        var headers = new Dictionary<string, string>(3, StringComparer.Ordinal) { [SourceHeader] = source };
        if (activity is { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent })
        {
            headers[TraceParentHeader] = traceParent;
            if (!string.IsNullOrEmpty(activity.TraceStateString))
            {
                headers[TraceStateHeader] = activity.TraceStateString;
            }
        }

        return JsonSerializer.Serialize(headers, Options);
    }

    public static Dictionary<string, string> ParseHeaders(string? json) =>
        string.IsNullOrEmpty(json)
            ? []
            : JsonSerializer.Deserialize<Dictionary<string, string>>(json, Options) ?? [];

    /// <summary>The contract instance a row holds; throws <see cref="OutboxPayloadException"/> when it cannot be rebuilt.</summary>
    public static (object Message, Type Type) Deserialize(string messageType, string payload)
    {
        if (!MessageTypes.TryGetType(messageType, out var type))
        {
            throw new OutboxPayloadException($"unknown message type '{messageType}' (not registered in MessageTypes)");
        }

        try
        {
            var message = JsonSerializer.Deserialize(payload, type, Options)
                ?? throw new OutboxPayloadException($"payload of {messageType} is JSON null");
            return (message, type);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException)
        {
            throw new OutboxPayloadException($"payload of {messageType} cannot be deserialised: {e.Message}", e);
        }
    }
}

/// <summary>A stored row cannot be turned back into its contract: retrying with the same data would fail the same way.</summary>
internal sealed class OutboxPayloadException : Exception
{
    public OutboxPayloadException(string message)
        : base(message)
    {
    }

    public OutboxPayloadException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public OutboxPayloadException()
    {
    }
}
