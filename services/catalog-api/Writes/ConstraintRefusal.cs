namespace Catalog.Api.Writes;

/// <summary>
/// How a violated database constraint is answered: the field the client sent that broke it. The constraint is the check
/// (a unique sku, an existing category), so two concurrent writes cannot both pass a lookup made before the insert.
/// </summary>
/// <param name="Status">409 for a unique value taken, 400 for a reference to nothing.</param>
public sealed record ConstraintRefusal(int Status, string Field, string Reason);
