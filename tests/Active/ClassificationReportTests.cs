using GpuSpread.Active;

namespace GpuSpread.Tests.Active;

public sealed class ClassificationReportTests
{
    [Theory]
    [InlineData(0.125, 2, "0.12")]   // Python rounds the exact binary value half to even; .NET's "F2" gives 0.13
    [InlineData(0.375, 2, "0.38")]
    [InlineData(0.625, 2, "0.62")]
    [InlineData(0.875, 2, "0.88")]
    [InlineData(2.5, 0, "2")]
    [InlineData(0.285, 2, "0.28")]   // 0.28499999999999998...
    [InlineData(1.005, 2, "1.00")]   // 1.00499999999999989...
    [InlineData(0.9999, 2, "1.00")]
    [InlineData(0, 2, "0.00")]
    [InlineData(123.456, 1, "123.5")]
    [InlineData(-0.5, 0, "-0")]
    [InlineData(1e-300, 3, "0.000")]
    public void FixedFormatsLikePython(double value, int digits, string expected)
    {
        Assert.Equal(expected, PythonFormat.Fixed(value, digits));
    }

    [Fact]
    public void ReportOfAKnownCaseIsScikitLearns()
    {
        // sklearn.metrics.classification_report([0, 1, 2, 2, 2, 7], [0, 2, 2, 2, 1, 9]) with scikit-learn 1.2.1.
        const string Expected = """
                          precision    recall  f1-score   support

                       0       1.00      1.00      1.00         1
                       1       0.00      0.00      0.00         1
                       2       0.67      0.67      0.67         3
                       7       0.00      0.00      0.00         1
                       9       0.00      0.00      0.00         0

                accuracy                           0.50         6
               macro avg       0.33      0.33      0.33         6
            weighted avg       0.50      0.50      0.50         6

            """;
        var report = ClassificationReport.Compute([0, 1, 2, 2, 2, 7], [0, 2, 2, 2, 1, 9]);
        Assert.Equal(Expected.Replace("\r\n", "\n"), report.Format());
        Assert.Equal(0.5, report.Accuracy);
        Assert.Equal([0L, 1, 2, 7, 9], report.Labels);
        Assert.Equal("[[1 0 0 0 0]\n [0 0 1 0 0]\n [0 1 2 0 0]\n [0 0 0 0 1]\n [0 0 0 0 0]]", report.FormatConfusionMatrix());
    }

    [Fact]
    public void NumPySumIsPairwise()
    {
        // np.add.reduce of these 9 values differs from a left-to-right sum in the last bit.
        double[] values = [1e16, 1, 1, 1, 1, 1, 1, 1, 1];
        double sequential = 0;
        foreach (double v in values) sequential += v;
        Assert.Equal(1e16, sequential);
        Assert.Equal(1e16 + 8, ClassificationReport.NumPySum(values)); // r0..r7 pairwise, then the 9th
    }
}
