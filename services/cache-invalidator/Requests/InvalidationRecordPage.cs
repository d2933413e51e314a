namespace CacheInvalidator.Requests;

/// <summary>A page of the record, newest first; <see cref="NextBefore"/> (when set) is the <c>before</c> of the next page.</summary>
public sealed record InvalidationRecordPage(IReadOnlyList<InvalidationRecord> Items, long? NextBefore);
