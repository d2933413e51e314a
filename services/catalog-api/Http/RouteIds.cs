using Platform.Hosting.Errors;

namespace Catalog.Api.Http;

/// <summary>
/// Ids in routes are numbers (<c>{id:long}</c>). A path with anything else in that place is a malformed request, so it
/// gets a 400 naming <c>id</c> rather than the 404 of an unknown route (which would read as "no such product").
/// </summary>
public static class RouteIds
{
    private const string Reason = "must be a whole number from 1 to 9223372036854775807";

    /// <summary>Maps, for each method given, <paramref name="pattern"/> (with an unconstrained <c>{id}</c>) to the 400.</summary>
    public static RouteGroupBuilder MapMalformedIds(this RouteGroupBuilder group, string pattern, params string[] methods)
    {
        // A constrained parameter outranks an unconstrained one, so a numeric id still reaches the real endpoint.
        group.MapMethods(pattern, methods, static (string id) => Problems.Field("id", Reason, "Invalid id")).ExcludeFromDescription();
        return group;
    }
}
