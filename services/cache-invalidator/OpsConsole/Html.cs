using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// A fragment of HTML that is safe by construction: written only through <see cref="Of"/>, whose interpolation holes are
/// HTML-encoded unless they are themselves <see cref="Html"/>. Stored values (message bodies, headers, exception text,
/// cache keys) are untrusted; there is no other way into the page than through a hole, so none of them can become markup.
/// </summary>
internal readonly record struct Html(string Value)
{
    public static readonly Html Empty = new("");

    public static Html Of(ref Builder builder) => builder.ToHtml();

    public static Html Join(IEnumerable<Html> parts) => new(string.Concat(parts.Select(p => p.Value)));

    /// <summary>A value for a URL query or path segment, then HTML-encoded by the hole it goes into.</summary>
    public static string Url(string value) => Uri.EscapeDataString(value);

    public static Html When(bool condition, Html html) => condition ? html : Empty;

    public override string ToString() => Value;

    [InterpolatedStringHandler]
    public ref struct Builder
    {
        private readonly StringBuilder _text;

        public Builder(int literalLength, int formattedCount) => _text = new StringBuilder(literalLength + (formattedCount * 16));

        public readonly void AppendLiteral(string literal) => _text.Append(literal);

        public readonly void AppendFormatted(Html html) => _text.Append(html.Value);

        public readonly void AppendFormatted(string? value) => _text.Append(HtmlEncoder.Default.Encode(value ?? ""));

        public readonly void AppendFormatted<T>(T value) =>
            AppendFormatted(value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value?.ToString());

        public readonly Html ToHtml() => new(_text.ToString());
    }
}
