using MassTransit;

namespace Platform.Messaging.Wire;

/// <summary>
/// MassTransit's names of message types on the wire: <c>urn:message:{Namespace}:{Name}</c> in an envelope's
/// <c>messageType</c>, and <c>{Namespace}.{Name}</c> in the <c>MT-Fault-MessageType</c> header. Always derived from the
/// contract type (through MassTransit's own <see cref="MessageUrn"/>), so moving a contract to another namespace moves
/// every reader with it; never written by hand.
/// </summary>
public static class MessageUrns
{
    /// <summary>The scheme and namespace every message URN starts with.</summary>
    public const string Prefix = MessageUrn.Prefix;

    /// <summary>The URN MassTransit writes for <typeparamref name="T"/>, e.g. <c>urn:message:Platform.Contracts.Catalog:ProductViewed</c>.</summary>
    public static string For<T>() => MessageUrn.ForTypeString<T>();

    /// <summary>The URN MassTransit writes for <paramref name="type"/>.</summary>
    public static string For(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return MessageUrn.ForTypeString(type);
    }

    /// <summary>
    /// A message type as the fault headers name it: <c>urn:message:Platform.Contracts.Catalog:ProductViewed</c> →
    /// <c>Platform.Contracts.Catalog.ProductViewed</c>. Anything that is not a message URN comes back as it is.
    /// </summary>
    public static string TypeNameOf(string urn)
    {
        ArgumentNullException.ThrowIfNull(urn);
        return urn.StartsWith(Prefix, StringComparison.Ordinal) ? urn[Prefix.Length..].Replace(':', '.') : urn;
    }
}
