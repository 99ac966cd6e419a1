using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The fixed points of both loops against their closed forms (<see cref="ClosedForms"/>, solved with MathNet).
/// </summary>
public class ClosedFormTests(ITestOutputHelper output)
{
    public static TheoryData<string, AffinityKernel, Precision> Cases()
    {
        var data = new TheoryData<string, AffinityKernel, Precision>();
        foreach (var engine in TestData.EngineNames)
            foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
                foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                    data.Add(engine, kernel, precision);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SpreadingReachesClosedForm(string engineName, AffinityKernel kernel, Precision precision)
    {
        const int seed = 5, n = 53, d = 5, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, d, classes, sigma: 0.4);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.1);
        var options = DiffusionOptions.Spreading() with
        {
            // float32 weights are rounded afresh as F's log-scales move, which puts a floor near 1e-9 under the change.
            Kernel = kernel, Gamma = 1, NNeighbors = 6, Alpha = 0.7, MaxIter = 5000, Tol = precision == Precision.Float64 ? 1e-12 : 1e-6,
            Precision = precision,
            RowTile = 7, ColumnTile = 21,
        };
        var closed = ClosedForms.Spreading(TestData.Rounded(x, precision), labels, classes, options);

        using var engine = TestData.CreateEngine(engineName);
        var fitted = TestData.Fit(engine, x, labels, classes, options);
        AssertRowsMatch(fitted.Distributions, closed, precision);
        Assert.True(fitted.Converged);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PropagationReachesHarmonicSolution(string engineName, AffinityKernel kernel, Precision precision)
    {
        const int seed = 8, n = 47, d = 3, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, d, classes, sigma: 0.4);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.15);
        var options = DiffusionOptions.Propagation() with
        {
            Kernel = kernel, Gamma = 1, NNeighbors = 9, MaxIter = 20000, Tol = 1e-11, Precision = precision,
            RowTile = 5, ColumnTile = 33,
        };
        var harmonic = ClosedForms.Harmonic(TestData.Rounded(x, precision), labels, classes, options);

        using var engine = TestData.CreateEngine(engineName);
        var fitted = TestData.Fit(engine, x, labels, classes, options);
        AssertRowsMatch(fitted.Distributions, harmonic, precision);
    }

    private void AssertRowsMatch(double[] actual, double[,] expected, Precision precision)
    {
        double difference = TestData.MaxDifference(actual, expected);
        output.WriteLine($"max |difference| to the closed form: {difference:E3}");
        double tolerance = precision == Precision.Float64 ? 1e-8 : 1e-4;
        Assert.True(difference < tolerance, $"max difference {difference:E3} exceeds {tolerance:E1}");
    }
}
