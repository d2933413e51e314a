namespace Catalog.Api.Data;

/// <summary>A row changed under optimistic concurrency: its <see cref="Version"/> is its ETag and the guard of its UPDATE.</summary>
public interface IVersionedRow
{
    long Id { get; }

    int Version { get; set; }
}
