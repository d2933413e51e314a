namespace Platform.DeadLetters.Operations;

/// <summary>Input problems keyed by field (HTTP names: <c>ids</c>, <c>group</c>, <c>since</c> …); the CLI renames them to its flags.</summary>
internal sealed class InputErrors : Dictionary<string, string[]>
{
    public InputErrors()
        : base(StringComparer.Ordinal)
    {
    }

    public void Report(string field, string message) => this[field] = TryGetValue(field, out var existing) ? [.. existing, message] : [message];
}
