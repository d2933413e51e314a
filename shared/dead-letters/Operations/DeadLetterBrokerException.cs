namespace Platform.DeadLetters.Operations;

/// <summary>The broker could not be reached for a replay; nothing of the batch was published.</summary>
internal sealed class DeadLetterBrokerException(string message, Exception inner) : Exception(message, inner);
