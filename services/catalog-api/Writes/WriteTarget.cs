using Catalog.Api.Data;

namespace Catalog.Api.Writes;

/// <summary>What <see cref="CatalogWrite"/> needs to know about one kind of row.</summary>
/// <param name="Name">The resource as titles name it (<c>Product</c>).</param>
/// <param name="Table">Its table (<c>catalog.products</c>): a create takes the next id of its identity first.</param>
/// <param name="Path">The collection path (<c>/api/products</c>); a created row is at <c>{Path}/{id}</c>.</param>
/// <param name="ToDto">The row as the API shows it.</param>
/// <param name="Constraints">Constraint name → the field refusal it means; any other violation is a server error.</param>
public sealed record WriteTarget<TRow, TDto>(
    string Name,
    string Table,
    string Path,
    Func<TRow, TDto> ToDto,
    IReadOnlyDictionary<string, ConstraintRefusal> Constraints)
    where TRow : class, IVersionedRow
{
    /// <summary>Title of a 400 for a body of this kind.</summary>
    public string InvalidTitle { get; } = $"Invalid {Name.ToLowerInvariant()}";
}
