using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Platform.Testing.BadInput;

/// <summary>
/// One generated HTTP request. <see cref="MustNotSucceed"/>: a 2xx means bad input was accepted (and, for a write,
/// acted on). <see cref="ExpectField"/>: the one field or parameter that is wrong, which a 400 must name.
/// <see cref="ExpectStatus"/>: the only statuses that are right for this case. <see cref="Class"/>: the class of hostile
/// input it belongs to, which the run's report counts.
/// </summary>
public sealed record HttpCase(string Target, int Index, int Seed, HttpMethod Method, string Path)
{
    /// <summary>The class of input this case belongs to (the report names each class and how many of its cases broke).</summary>
    public string Class { get; init; } = "generated";

    public byte[]? Body { get; init; }

    public string? ContentType { get; init; } = "application/json";

    /// <summary>Headers to send (the API key among them: cases go through a client without default headers).</summary>
    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];

    public bool MustNotSucceed { get; init; }

    public string? ExpectField { get; init; }

    public IReadOnlyList<int>? ExpectStatus { get; init; }

    /// <summary>A pattern the reason given for <see cref="ExpectField"/> must match (e.g. that it states the allowed range).</summary>
    public string? ExpectReason { get; init; }

    /// <summary>The <c>Accept</c> header sent, if any.</summary>
    public string? Accept => Headers.Where(h => string.Equals(h.Name, "Accept", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

    public override string ToString() =>
        $"{Target} case {Index} (seed {Seed}): {Method} {Path}"
        + (Headers.Count > 0 ? " [" + string.Join(", ", Headers.Select(h => $"{h.Name}: {h.Value}")) + "]" : "")
        + (Body is null ? "" : $" {ContentType} {BadInputGenerator.Describe(Body)}");
}

/// <summary>
/// Sends generated cases and collects every broken promise: a 5xx, a dropped connection, an error that is not an
/// <c>application/problem+json</c> with <c>status</c> and <c>title</c>, a 400 that says neither which field nor why,
/// a 400 that does not name the one bad field, a 2xx for input that must be refused, a response without
/// <c>X-Content-Type-Options: nosniff</c>. An error may have no body only where the client's <c>Accept</c> refuses JSON.
/// <see cref="AssertClean"/> reports every class of input sent and fails the test with every broken case and the
/// settings that reproduce them.
/// </summary>
public sealed class HttpBadInputRun
{
    private readonly List<string> _failures = [];
    private readonly Dictionary<string, int> _kinds = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, (int Sent, int Broken)> _classes = new(StringComparer.Ordinal);

    public int Sent { get; private set; }

    /// <summary>Sends <paramref name="c"/> through <paramref name="client"/>, which should carry no default headers.</summary>
    public async Task SendAsync(HttpClient client, HttpCase c)
    {
        using var request = new HttpRequestMessage(c.Method, new Uri(c.Path, UriKind.Relative));
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);

            // A server refuses a body over its limit before reading it: wait for that answer instead of sending megabytes into a closed socket.
            request.Headers.ExpectContinue = c.Body.Length > 64 * 1024;
            if (c.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
            }
        }

        foreach (var (name, value) in c.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        Sent++;
        var (sent, broken) = _classes.GetValueOrDefault(c.Class);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            _failures.Add($"{c} → no response: {e.Message}");
            _kinds["no response"] = _kinds.GetValueOrDefault("no response") + 1;
            _classes[c.Class] = (sent + 1, broken + 1);
            return;
        }

        using (response)
        {
            if (await CheckAsync(response, c) is { } problem)
            {
                _failures.Add($"{c} → {(int)response.StatusCode}: {problem}");
                var kind = $"{(int)response.StatusCode} {problem.Split(':')[0]}";
                _kinds[kind] = _kinds.GetValueOrDefault(kind) + 1;
                broken++;
            }
        }

        _classes[c.Class] = (sent + 1, broken);
    }

    /// <summary>Each class of input sent, with how many of its cases broke a promise.</summary>
    public string Report =>
        "bad-input classes: " + string.Join("; ", _classes.Select(k => $"{k.Key} {k.Value.Sent} sent, {k.Value.Broken} broken"));

    /// <summary>Writes the report to <paramref name="output"/>, then fails with every broken case (and how to run them again) if there were any.</summary>
    public void AssertClean(ITestOutputHelper? output = null)
    {
        output?.WriteLine(Report);
        if (_failures.Count > 0)
        {
            Assert.Fail($"{_failures.Count} of {Sent} generated requests broke a promise (reproduce with {BadInputSettings.Reproduce}); by kind: "
                + string.Join("; ", _kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Value} × {k.Key}")) + "\n"
                + Report + "\n"
                + string.Join('\n', _failures.Take(40)));
        }
    }

    /// <summary>
    /// True when an <c>Accept</c> header admits a JSON answer: absent or empty, or naming <c>*/*</c>, <c>application/*</c>,
    /// <c>application/json</c> or <c>application/problem+json</c> with a non-zero quality. An unparsable header admits nothing.
    /// </summary>
    public static bool AdmitsJson(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return true;
        }

        foreach (var part in accept.Split(','))
        {
            if (!MediaTypeWithQualityHeaderValue.TryParse(part.Trim(), out var media) || media.Quality == 0)
            {
                continue;
            }

            if (media.MediaType is "*/*" or "application/*" or "application/json" or "application/problem+json")
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<string?> CheckAsync(HttpResponseMessage response, HttpCase c)
    {
        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        if (status >= 500)
        {
            return "server error " + BadInputGenerator.Describe(System.Text.Encoding.UTF8.GetBytes(body));
        }

        var refusedByKestrel = body.Length == 0 && (status is 414 or 431 || (status == 400 && c.Path.Contains("%00", StringComparison.Ordinal)));
        if (CheckBody(response, c, status, body, refusedByKestrel) is { } broken)
        {
            return broken;
        }

        var sniffing = !response.Headers.TryGetValues("X-Content-Type-Options", out var sniff) || !sniff.Contains("nosniff", StringComparer.OrdinalIgnoreCase);
        return !refusedByKestrel && sniffing ? "no X-Content-Type-Options: nosniff" : null;
    }

    private static string? CheckBody(HttpResponseMessage response, HttpCase c, int status, string body, bool refusedByKestrel)
    {
        if (c.ExpectStatus is { } allowed && !allowed.Contains(status))
        {
            return $"expected {string.Join(" or ", allowed)}; body {BadInputGenerator.Describe(System.Text.Encoding.UTF8.GetBytes(body))}";
        }

        if (status < 400)
        {
            return c.MustNotSucceed && status is >= 200 and < 300 ? "bad input accepted" : null;
        }

        if (refusedByKestrel)
        {
            // Kestrel refuses an over-long request line or header block, and a path with an encoded NUL, before any
            // middleware runs: no ProblemDetails is possible there.
            return null;
        }

        if (body.Length == 0 && !AdmitsJson(c.Accept))
        {
            // The client refuses JSON: a bare status is the honest answer.
            return null;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"error without a ProblemDetails (content type '{response.Content.Headers.ContentType}', body '{BadInputGenerator.Describe(System.Text.Encoding.UTF8.GetBytes(body))}')";
        }

        JsonElement problem;
        try
        {
            using var document = JsonDocument.Parse(body);
            problem = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return "problem+json that is not JSON";
        }

        if (problem.ValueKind != JsonValueKind.Object
            || !problem.TryGetProperty("status", out var statusValue) || statusValue.ValueKind != JsonValueKind.Number || statusValue.GetInt32() != status
            || !problem.TryGetProperty("title", out var title) || title.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(title.GetString()))
        {
            return "ProblemDetails without a matching status and a title: " + body;
        }

        return status == 400 ? CheckReason(problem, c.ExpectField, c.ExpectReason, body) : null;
    }

    /// <summary>A 400 says why: field errors (each with a reason), or a detail; and names the field when one was planted.</summary>
    private static string? CheckReason(JsonElement problem, string? field, string? reason, string body)
    {
        var detail = problem.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() ?? "" : "";
        var fields = new List<string>();
        if (problem.TryGetProperty("errors", out var errors))
        {
            if (errors.ValueKind != JsonValueKind.Object)
            {
                return "errors is not an object of field → reasons: " + body;
            }

            foreach (var error in errors.EnumerateObject())
            {
                if (error.Value.ValueKind != JsonValueKind.Array || error.Value.GetArrayLength() == 0
                    || error.Value.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(r.GetString())))
                {
                    return $"errors.{error.Name} gives no reason: {body}";
                }

                fields.Add(error.Name);
            }
        }

        if (fields.Count == 0 && string.IsNullOrWhiteSpace(detail))
        {
            return "a 400 that says neither which field nor why: " + body;
        }

        var named = fields.Where(f => string.Equals(f, field, StringComparison.OrdinalIgnoreCase)
            || f.EndsWith("." + field, StringComparison.OrdinalIgnoreCase)
            || f.StartsWith(field + "[", StringComparison.OrdinalIgnoreCase)).ToList();
        if (field is not null && named.Count == 0 && !detail.Contains(field, StringComparison.OrdinalIgnoreCase))
        {
            return $"the 400 does not name the bad field '{field}': {body}";
        }

        if (field is not null && reason is not null)
        {
            var reasons = named.SelectMany(f => problem.GetProperty("errors").GetProperty(f).EnumerateArray().Select(r => r.GetString() ?? "")).Append(detail);
            if (!reasons.Any(r => Regex.IsMatch(r, reason)))
            {
                return $"the reason for '{field}' does not match /{reason}/: {body}";
            }
        }

        return null;
    }
}

/// <summary>Formats numbers for paths and bodies the same way everywhere.</summary>
public static class Invariant
{
    public static string Of(long value) => value.ToString(CultureInfo.InvariantCulture);
}
