namespace Platform.EndToEnd.Tests.Monitoring;

public sealed class PromQlTests
{
    [Theory]
    [InlineData("up == 0", new[] { "up" })]
    [InlineData("max by (queue) (a_seconds) > 600", new[] { "max by (queue) (a_seconds)" })]
    [InlineData("x:ratio < 0.7 * y:ratio and z > 1", new[] { "x:ratio", "0.7 * y:ratio", "z" })]
    [InlineData("sum(rate(h{code=~\"5..\",a!=\"b\"}[5m])) / sum(rate(h[5m])) >= bool 0.01", new[] { "sum(rate(h{code=~\"5..\",a!=\"b\"}[5m])) / sum(rate(h[5m]))" })]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(b[5m]))) > 1000", new[] { "histogram_quantile(0.99, sum by (le) (rate(b[5m])))" })]
    public void AlertSplitsIntoTheSeriesItCompares(string expression, string[] operands)
    {
        Assert.Equal(operands, PromQl.Operands(expression));
    }
}
