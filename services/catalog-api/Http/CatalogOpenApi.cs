using System.Text.Json.Nodes;
using Catalog.Api.Products;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Platform.Hosting.Security;

namespace Catalog.Api.Http;

/// <summary>
/// What the generated OpenAPI document cannot see in the endpoint signatures: the API-key scheme and which operations
/// need it, the refusals every operation can give (401/403 for keyed ones, 429 where a limiter applies, 400 for a
/// malformed id), the list parameters' allowed values, and how keyset paging behaves while the catalog changes.
/// </summary>
internal static class CatalogOpenApi
{
    public const string ApiKeyScheme = "ApiKey";

    internal const string PagingDescription =
        "Keyset paging: `nextCursor` (and the `Link: <…>; rel=\"next\"` header) continues after the last item of this page in the " +
        "page's own sort, so a page is one index range scan however deep. Lists are not snapshots: with `sort=recent` (created time, " +
        "then id; neither ever changes) every product that stays active from the first page to the last is seen exactly once. With " +
        "`name`, `price_asc` and `price_desc`, a product whose sort key changes between two page requests can be seen twice (moved past " +
        "the cursor) or not at all (moved before it); products created, archived or deleted meanwhile appear or disappear. Page with " +
        "`sort=recent` when every product must be seen exactly once.";

    public static void Add(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            // No servers list: it would echo the request's Host header, which a client chooses.
            document.Servers = [];
            document.Info.Title = "Catalog API";
            document.Info.Description =
                "Products and categories with cached, ETag-revalidated reads, and the analytics computed from their events. " +
                "Writes need an API key with the `catalog:write` scope in the `X-Api-Key` header and `If-Match` with the ETag read " +
                "(412 when it is stale, 428 when missing). Errors are RFC 9457 problem details naming the field and the reason.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyOptions.HeaderName,
                Description = "An API key with the scope the operation names (`catalog:write` for writes). Unknown keys are limited per client: past the limit every key from that client gets 429.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            operation.Responses ??= [];
            if (metadata.OfType<IAuthorizeData>().FirstOrDefault() is { } authorize)
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] });
                AddProblem(operation, "401", "No API key, or one that is not configured.");
                AddProblem(operation, "403", $"The API key lacks the scope this operation needs ({authorize.Policy}).");
            }

            if (metadata.OfType<EnableRateLimitingAttribute>().Any() || metadata.OfType<IAuthorizeData>().Any())
            {
                AddProblem(operation, "429", "Too many requests from this key or client (or too many failed keys from this client); see the Retry-After header.");
            }

            if (context.Description.RelativePath?.Contains("{id}", StringComparison.Ordinal) == true)
            {
                AddProblem(operation, "400", "A field or parameter is invalid (the problem's `errors` name it), e.g. an id that is not a positive whole number.");
            }

            if (operation.OperationId == "ListProducts")
            {
                DescribeProductList(operation);
            }

            return Task.CompletedTask;
        });
    }

    private static void DescribeProductList(OpenApiOperation operation)
    {
        operation.Summary = "List products, one page at a time";
        operation.Description = PagingDescription;
        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
        {
            switch (parameter.Name)
            {
                case "sort":
                    parameter.Description = "The order: `recent` (newest first, the default), `name`, `price_asc`, `price_desc`.";
                    parameter.Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Enum = [.. ProductSorts.Allowed.Split(", ").Select(s => (JsonNode)JsonValue.Create(s))],
                        Default = JsonValue.Create("recent"),
                    };
                    break;
                case "limit":
                    parameter.Description = $"Items per page, 1 to {ProductReadEndpoints.MaxLimit}.";
                    parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = ProductReadEndpoints.MaxLimit.ToString(System.Globalization.CultureInfo.InvariantCulture), Default = JsonValue.Create(ProductReadEndpoints.DefaultLimit) };
                    break;
                case "cursor":
                    parameter.Description = "The previous page's `nextCursor`, opaque; only valid with the sort it came from.";
                    parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String };
                    break;
                case "category":
                    parameter.Description = "A category id or slug; all categories when left out.";
                    parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String };
                    break;
            }
        }

        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers["Link"] = new OpenApiHeader
            {
                Description = "`<…>; rel=\"next\"` (RFC 8288): the next page's URL, absent on the last page.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }
    }

    private static void AddProblem(OpenApiOperation operation, string status, string description)
    {
        if (operation.Responses!.ContainsKey(status))
        {
            return;
        }

        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new OpenApiMediaType(),
            },
        };
    }
}
