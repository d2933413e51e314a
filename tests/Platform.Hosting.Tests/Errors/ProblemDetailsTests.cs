using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Hosting.Errors;

namespace Platform.Hosting.Tests.Errors;

/// <summary>A minimal service with the platform defaults: every error is a ProblemDetails, never a stack trace.</summary>
public sealed class ProblemDetailsTests : IAsyncLifetime
{
    private WebApplication? _app;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        // Real Kestrel (not TestServer): the body size limit is a Kestrel limit.
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddPlatformDefaults("sample-service");
        _app = builder.Build();
        _app.UsePlatformDefaults();
        _app.MapPost("/echo", (Payload payload) => TypedResults.Ok(payload));
        _app.MapGet("/boom", string () => throw new InvalidOperationException("secret internals"));
        _app.MapGet("/taken", () => Problems.Conflict("sku", "is taken"));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task MalformedJsonIsA400ProblemNotA500()
    {
        var response = await _client.PostAsync(new Uri("/echo", UriKind.Relative), new StringContent("{\"name\": ", Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task WrongJsonTypeIsA400ProblemNamingTheFieldAndWhy()
    {
        var response = await _client.PostAsync(new Uri("/echo", UriKind.Relative), new StringContent("{\"name\": 12, \"count\": \"x\"}", Encoding.UTF8, "application/json"));

        var body = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        using var json = JsonDocument.Parse(body);
        var reasons = json.RootElement.GetProperty("errors").GetProperty("name");
        Assert.Contains("could not be converted", reasons[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("'name'", json.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedBodyIsA413Problem()
    {
        var huge = "{\"name\":\"" + new string('x', (int)PlatformDefaults.MaxRequestBodyBytes + 10) + "\"}";

        var response = await _client.PostAsync(new Uri("/echo", UriKind.Relative), new StringContent(huge, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task UnhandledExceptionIsA500ProblemWithoutInternals()
    {
        var response = await _client.GetAsync(new Uri("/boom", UriKind.Relative));

        var body = await AssertProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.DoesNotContain("secret internals", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARefusalAboutAFieldNamesItInErrorsLikeAValidationProblem()
    {
        var response = await _client.GetAsync(new Uri("/taken", UriKind.Relative));

        var body = await AssertProblemAsync(response, HttpStatusCode.Conflict);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("is taken", json.RootElement.GetProperty("errors").GetProperty("sku")[0].GetString());
        Assert.Equal("/taken", json.RootElement.GetProperty("instance").GetString());
    }

    [Fact]
    public async Task WellFormedBodyStillWorks()
    {
        var response = await _client.PostAsJsonAsync(new Uri("/echo", UriKind.Relative), new Payload("a", 1));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Payload("a", 1), await response.Content.ReadFromJsonAsync<Payload>());
    }

    private static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return body;
    }

    public sealed record Payload(string Name, int Count);
}
