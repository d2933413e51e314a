namespace Platform.DeadLetters.Operations;

/// <summary>Status of a stored dead letter.</summary>
public static class DeadLetterStatus
{
    public const string Stored = "stored";
    public const string Replayed = "replayed";
    public const string Purged = "purged";
}
