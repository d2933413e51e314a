using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Platform.DeadLetters.Cli;
using Platform.DeadLetters.Mover;
using Platform.DeadLetters.Operations;
using Platform.Hosting.Security;
using Platform.Testing;

namespace Platform.DeadLetters.Tests;

/// <summary>An ops node on the test server, with clients that carry the ops key, another scope's key, or none.</summary>
internal sealed class OpsNode(WebApplication app) : IAsyncDisposable
{
    private bool _disposed;

    public IServiceProvider Services => app.Services;

    public HttpClient Anonymous { get; } = app.GetTestClient();

    public HttpClient Admin { get; } = WithKey(app, DeadLetterHarness.AdminKey);

    public HttpClient Writer { get; } = WithKey(app, DeadLetterHarness.WriterKey);

    public DeadLetterMoverStatus MoverStatus => app.Services.GetRequiredService<DeadLetterMoverStatus>();

    public Task WaitUntilConnectedAsync() =>
        Eventually.TrueAsync(() => Task.FromResult(MoverStatus.IsConnected), DeadLetterHarness.Patience, "mover connected");

    public Task WaitUntilConsumingAsync(string queue) =>
        Eventually.TrueAsync(() => Task.FromResult(MoverStatus.Consuming.Contains(queue)), DeadLetterHarness.Patience, $"mover consuming {queue}");

    public async Task<T> GetAsync<T>(string path) =>
        (await Admin.GetFromJsonAsync<T>(new Uri(path, UriKind.Relative), DeadLetterOutput.JsonOptions))!;

    public async Task<DeadLetterOperationResult> PostAsync(string path, object body)
    {
        var response = await Admin.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<DeadLetterOperationResult>(DeadLetterOutput.JsonOptions))!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Anonymous.Dispose();
        Admin.Dispose();
        Writer.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static HttpClient WithKey(WebApplication app, string key)
    {
        var client = app.GetTestClient();
        client.DefaultRequestHeaders.Add(ApiKeyOptions.HeaderName, key);
        return client;
    }
}
