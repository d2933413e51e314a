using System.Globalization;
using System.Text.Json.Nodes;

namespace Platform.DeadLetters.Operations;

/// <summary>What a replay or purge acts on: explicit ids, one group, or all — group and all narrowed by the filter.</summary>
internal sealed record DeadLetterSelection(IReadOnlyList<long> Ids, string? Group, bool All, DeadLetterFilter Filter)
{
    /// <summary>As recorded in the history table.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        if (Ids.Count > 0)
        {
            json["ids"] = new JsonArray([.. Ids.Select(id => (JsonNode)id)]);
        }

        if (Group is not null)
        {
            json["group"] = Group;
        }

        if (All)
        {
            json["all"] = true;
        }

        if (Filter.Type is not null)
        {
            json["type"] = Filter.Type;
        }

        if (Filter.Exception is not null)
        {
            json["exception"] = Filter.Exception;
        }

        if (Filter.Since is { } since)
        {
            json["since"] = since.ToString("O", CultureInfo.InvariantCulture);
        }

        if (Filter.Queue is not null)
        {
            json["queue"] = Filter.Queue;
        }

        return json;
    }
}
