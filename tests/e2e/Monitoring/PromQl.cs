using System.Globalization;

namespace Platform.EndToEnd.Tests.Monitoring;

/// <summary>
/// Splits a rule's PromQL at its top-level set and comparison operators (<c>and</c>, <c>or</c>, <c>unless</c>, <c>&gt;</c>,
/// <c>&lt;</c> …), so a test can ask whether each series an alert compares exists. An alert's whole expression is empty
/// while all is well; its operands must not be, or the alert could never fire.
/// </summary>
public static class PromQl
{
    private static readonly string[] Operators = [" and ", " or ", " unless ", ">=", "<=", "==", "!=", ">", "<"];

    /// <summary>The operands of <paramref name="expression"/> that are queries (numbers left out).</summary>
    public static IReadOnlyList<string> Operands(string expression)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        var quoted = false;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '"' && (i == 0 || expression[i - 1] != '\\'))
            {
                quoted = !quoted;
            }

            if (quoted)
            {
                continue;
            }

            depth += c is '(' or '{' or '[' ? 1 : c is ')' or '}' or ']' ? -1 : 0;
            if (depth != 0)
            {
                continue;
            }

            // =~ and !~ are label matchers, and only inside braces; at depth 0 '=' is part of ==, >=, <=, !=.
            var op = Operators.FirstOrDefault(o => string.CompareOrdinal(expression, i, o, 0, o.Length) == 0);
            if (op is not null)
            {
                parts.Add(expression[start..i]);
                start = i + op.Length;
                i = start - 1;
            }
        }

        parts.Add(expression[start..]);
        return [.. parts.Select(p => p.Trim()).Select(p => p.StartsWith("bool ", StringComparison.Ordinal) ? p[5..].Trim() : p)
            .Where(p => p.Length > 0 && !double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _))];
    }
}
