namespace Platform.DeadLetters.Operations;

/// <summary>Nothing matches: ids that do not exist, or a group no dead letter ever had. Nothing was changed.</summary>
internal sealed class DeadLetterNotFoundException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
