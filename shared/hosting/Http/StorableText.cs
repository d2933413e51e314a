namespace Platform.Hosting.Http;

/// <summary>
/// Text a request may carry into PostgreSQL or Redis: no NUL (PostgreSQL refuses it in text, error 22021) and no unpaired
/// UTF-16 surrogate (no UTF-8 encoder can write one; Npgsql throws). Everything else is the field rules' business.
/// </summary>
public static class StorableText
{
    /// <summary>Why a value was refused, as a field reason.</summary>
    public const string Reason = "must not contain NUL characters or unpaired UTF-16 surrogates";

    public static bool IsStorable(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
