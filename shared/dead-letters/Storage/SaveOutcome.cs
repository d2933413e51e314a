namespace Platform.DeadLetters.Storage;

/// <summary>What saving a delivery did.</summary>
internal enum SaveOutcome
{
    /// <summary>First failure of this message on this queue.</summary>
    Stored,

    /// <summary>It had been replayed or purged and failed again: stored again, failure_count + 1.</summary>
    StoredAgain,

    /// <summary>Already stored: a redelivery of a message whose ack was lost. Nothing changed.</summary>
    Duplicate,
}
