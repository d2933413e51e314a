using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Testing;

/// <summary>Waits for a hosted service's <c>/health/ready</c> to answer 200 and returns what it checked.</summary>
public static class Readiness
{
    /// <summary>Polls readiness (the bus connects in the background after start) and returns the names of its checks.</summary>
    public static async Task<IReadOnlyList<string>> WaitForReadyChecksAsync(HttpClient client, TimeSpan? timeout = null)
    {
        var body = await Eventually.ReturnsAsync(async () =>
        {
            var response = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonElement>() : (JsonElement?)null;
        }, timeout ?? TimeSpan.FromSeconds(30), "readiness");
        return [.. body.GetProperty("checks").EnumerateObject().Select(c => c.Name)];
    }
}
