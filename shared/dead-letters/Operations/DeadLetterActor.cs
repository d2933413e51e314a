namespace Platform.DeadLetters.Operations;

/// <summary>Who asks, and through what (<c>cli</c>, <c>http</c> for the JSON API, <c>console</c> for the ops console), for the history.</summary>
internal sealed record DeadLetterActor(string Name, string Origin);
