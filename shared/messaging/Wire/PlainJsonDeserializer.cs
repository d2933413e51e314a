using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;

namespace Platform.Messaging.Wire;

/// <summary>
/// Reads <see cref="PlainJson"/> messages on one receive endpoint: resolves the type the message names (or the
/// endpoint's default), checks the fields, and hands the body to MassTransit's own raw JSON reading
/// (<see cref="SystemTextJsonRawSerializerContext"/>) restricted to that one type, so a consumer of several types sees it
/// as exactly one of them. Without it MassTransit reads <c>application/json</c> as an envelope and every plain message
/// faults with <c>ArgumentNullException (Parameter 'envelope')</c>. A message it refuses faults into the endpoint's error
/// queue (no retries: the same bytes fail the same way) with the reason as the fault message.
/// </summary>
public sealed class PlainJsonDeserializer(IReadOnlyList<Type> accepted, Type fallback) : IMessageDeserializer
{
    private static readonly System.Net.Mime.ContentType JsonContentType = new(PlainJson.ContentType);

    public System.Net.Mime.ContentType ContentType => JsonContentType;

    public void Probe(ProbeContext context) => context.CreateScope("plain-json").Add("contentType", PlainJson.ContentType);

    public ConsumeContext Deserialize(ReceiveContext receiveContext)
    {
        ArgumentNullException.ThrowIfNull(receiveContext);
        var named = receiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) && !string.IsNullOrWhiteSpace(rabbit.Properties.Type)
            ? rabbit.Properties.Type
            : null;
        return new BodyConsumeContext(receiveContext, Read(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress, named));
    }

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
        Read(body, headers, destinationAddress, null);

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);

    private SerializerContext Read(MessageBody body, Headers headers, Uri? destinationAddress, string? namedByTransport)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(headers);
        var named = namedByTransport ?? (headers.TryGetHeader(PlainJson.MessageTypeHeader, out var header) ? header as string : null);
        if (!PlainJson.TryResolve(named, accepted, fallback, out var type, out var unknown))
        {
            throw new SerializationException("plain JSON message refused: " + unknown);
        }

        var options = SystemTextJsonMessageSerializer.Options;
        JsonElement element;
        try
        {
            var bytes = body.GetBytes();
            element = bytes.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(bytes, options);
        }
        catch (JsonException e)
        {
            throw new SerializationException($"plain JSON {PlainJson.Known([type])} refused: the body is not JSON ({e.Message})");
        }

        if (!PlainJson.TryCheckFields(element, type, options, out var problem))
        {
            throw new SerializationException($"plain JSON {PlainJson.Known([type])} refused: {problem}");
        }

        var context = new RawMessageContext(headers, destinationAddress!, RawSerializerOptions.Default);
        return new SystemTextJsonRawSerializerContext(
            SystemTextJsonMessageSerializer.Instance, options, JsonContentType, context, [MessageUrns.For(type)], RawSerializerOptions.Default, element);
    }
}
