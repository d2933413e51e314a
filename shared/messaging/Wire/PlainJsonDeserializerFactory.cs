using MassTransit;
using MassTransit.Serialization;

namespace Platform.Messaging.Wire;

/// <summary>
/// Registers <see cref="PlainJsonDeserializer"/> on a receive endpoint (<c>endpoint.AddDeserializer(factory)</c>) for the
/// types <paramref name="accepted"/>, defaulting to <paramref name="fallback"/>. Replies and publishes of the endpoint keep
/// the envelope: the serializer it offers is MassTransit's raw one, used only if something asks for <c>application/json</c>.
/// </summary>
public sealed class PlainJsonDeserializerFactory(IReadOnlyList<Type> accepted, Type fallback) : ISerializerFactory
{
    public System.Net.Mime.ContentType ContentType { get; } = new(PlainJson.ContentType);

    public IMessageSerializer CreateSerializer() => new SystemTextJsonRawMessageSerializer();

    public IMessageDeserializer CreateDeserializer() => new PlainJsonDeserializer(accepted, fallback);
}
