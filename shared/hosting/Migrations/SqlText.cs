namespace Platform.Hosting.Migrations;

// Just enough of PostgreSQL's lexical rules to find the statements of a script: comments (nested block
// comments too), 'strings', E'strings' with backslash escapes, "identifiers" and $tag$dollar quotes$tag$.
internal static class SqlText
{
    public const string NoTransactionMarker = "-- migrate:no-transaction";

    public static bool HasNoTransactionMarker(string sql)
    {
        foreach (var line in sql.AsSpan().EnumerateLines())
        {
            var trimmed = line.Trim();
            if (!trimmed.IsEmpty)
            {
                return trimmed.Equals(NoTransactionMarker, StringComparison.Ordinal);
            }
        }

        return false;
    }

    /// <summary>Start and length of each statement holding more than comments, without its terminating semicolon.</summary>
    public static List<(int Start, int Length)> Statements(string sql)
    {
        var statements = new List<(int, int)>();
        var start = 0;
        var hasToken = false;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (c == '-' && next == '-')
            {
                i = sql.IndexOf('\n', i) is var end and >= 0 ? end + 1 : sql.Length;
                continue;
            }

            if (c == '/' && next == '*')
            {
                i = SkipBlockComment(sql, i);
                continue;
            }

            if (c == ';')
            {
                if (hasToken)
                {
                    statements.Add((start, i - start));
                }

                start = i + 1;
                hasToken = false;
                i++;
                continue;
            }

            if (!char.IsWhiteSpace(c))
            {
                hasToken = true;
            }

            i = c switch
            {
                '\'' => SkipQuoted(sql, i, '\'', backslashEscapes: i > 0 && sql[i - 1] is 'E' or 'e' && (i < 2 || !IsIdentifierChar(sql[i - 2]))),
                '"' => SkipQuoted(sql, i, '"', backslashEscapes: false),
                '$' when i == 0 || !IsIdentifierChar(sql[i - 1]) => SkipDollarQuoted(sql, i),
                _ => i + 1,
            };
        }

        if (hasToken)
        {
            statements.Add((start, sql.Length - start));
        }

        return statements;
    }

    public static int LineOf(string sql, int offset)
    {
        offset = Math.Clamp(offset, 0, sql.Length);
        return sql.AsSpan(0, offset).Count('\n') + 1;
    }

    private static int SkipBlockComment(string sql, int i)
    {
        var depth = 0;
        while (i < sql.Length)
        {
            if (sql[i] == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                depth++;
                i += 2;
            }
            else if (sql[i] == '*' && i + 1 < sql.Length && sql[i + 1] == '/')
            {
                i += 2;
                if (--depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return sql.Length;
    }

    private static int SkipQuoted(string sql, int i, char quote, bool backslashEscapes)
    {
        i++;
        while (i < sql.Length)
        {
            if (backslashEscapes && sql[i] == '\\')
            {
                i += 2;
            }
            else if (sql[i] == quote)
            {
                // A doubled quote is an escaped quote, not the end.
                if (i + 1 < sql.Length && sql[i + 1] == quote)
                {
                    i += 2;
                }
                else
                {
                    return i + 1;
                }
            }
            else
            {
                i++;
            }
        }

        return sql.Length;
    }

    private static int SkipDollarQuoted(string sql, int i)
    {
        var tagEnd = i + 1;
        while (tagEnd < sql.Length && (char.IsLetter(sql[tagEnd]) || sql[tagEnd] == '_' || (tagEnd > i + 1 && char.IsAsciiDigit(sql[tagEnd]))))
        {
            tagEnd++;
        }

        // Not a dollar quote (e.g. a $1 parameter): move on one character.
        if (tagEnd >= sql.Length || sql[tagEnd] != '$')
        {
            return i + 1;
        }

        var tag = sql[i..(tagEnd + 1)];
        var close = sql.IndexOf(tag, tagEnd + 1, StringComparison.Ordinal);
        return close < 0 ? sql.Length : close + tag.Length;
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';
}
