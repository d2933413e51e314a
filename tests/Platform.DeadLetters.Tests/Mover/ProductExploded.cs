namespace Platform.DeadLetters.Tests.Mover;

/// <summary>An event no consumer of the test's queue takes: a publisher's newer or misspelt type.</summary>
public sealed record ProductExploded(long ProductId);
