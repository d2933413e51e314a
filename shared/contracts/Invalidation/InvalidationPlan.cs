namespace Platform.Contracts.Invalidation;

/// <summary>What one message invalidates: exact keys and whole tags.</summary>
public sealed record InvalidationPlan(IReadOnlyList<string> Keys, IReadOnlyList<string> Tags)
{
    public static readonly InvalidationPlan Nothing = new([], []);
}
