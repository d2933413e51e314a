namespace Platform.DeadLetters.Operations;

/// <summary>Who asks, and through what (<c>cli</c> or <c>http</c>), for the history.</summary>
internal sealed record DeadLetterActor(string Name, string Origin);
