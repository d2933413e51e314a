namespace Platform.Messaging.Outbox;

internal enum PublishResultKind
{
    Published,
    MessageFailed,
    BrokerFailed,
    Unclassified,
}

internal sealed record PublishResult(PublishResultKind Kind, string? Error = null, Exception? Exception = null)
{
    public static readonly PublishResult Published = new(PublishResultKind.Published);

    public static PublishResult MessageFailed(string error) => new(PublishResultKind.MessageFailed, error);

    public static PublishResult BrokerFailed(Exception exception) => new(PublishResultKind.BrokerFailed, exception.Message, exception);

    public static PublishResult Unclassified(Exception exception) => new(PublishResultKind.Unclassified, exception.Message, exception);
}
