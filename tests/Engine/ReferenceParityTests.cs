using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// Every engine against the dense float64 transcription of scikit-learn on seeded random inputs of awkward
/// sizes, with tile sizes forced small and odd so that every remainder path runs.
/// </summary>
public class ReferenceParityTests(ITestOutputHelper output)
{
    public static TheoryData<string, DiffusionModel, AffinityKernel, Precision, int> Cases()
    {
        var data = new TheoryData<string, DiffusionModel, AffinityKernel, Precision, int>();
        foreach (var engine in TestData.EngineNames)
            foreach (var model in new[] { DiffusionModel.Spreading, DiffusionModel.Propagation })
                foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
                    foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                        foreach (int seed in new[] { 11, 23 })
                            data.Add(engine, model, kernel, precision, seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDenseReference(string engineName, DiffusionModel model, AffinityKernel kernel, Precision precision, int seed)
    {
        var random = new Random(seed);
        int n = 37 + 2 * random.Next(30), d = 3 + 2 * random.Next(4), classes = 2 + random.Next(3);
        var (x, truth) = TestData.Blobs(seed, n, d, classes);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.15);
        var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = kernel, Gamma = 1.5, NNeighbors = 5 + random.Next(3), Precision = precision,
            RowTile = 3 + 2 * random.Next(3), ColumnTile = 17 + random.Next(20),
        };
        output.WriteLine($"seed {seed}: n={n} d={d} c={classes} {options}");

        using var engine = TestData.CreateEngine(engineName);
        var actual = TestData.Fit(engine, x, labels, classes, options);
        var expected = DenseReference.Fit(TestData.Rounded(x, precision), labels, classes, options);

        double tolerance = precision == Precision.Float64 ? 1e-9 : 2e-5;
        double difference = TestData.MaxDifference(actual.Distributions, expected.Distributions);
        output.WriteLine($"max |difference| = {difference:E3}, n_iter {actual.NIter} vs {expected.NIter}");
        Assert.True(difference < tolerance, $"seed {seed}: max difference {difference:E3} exceeds {tolerance:E1}");
        Assert.Equal(expected.NIter, actual.NIter);
        Assert.Equal(expected.Converged, actual.Converged);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PredictProbaMatchesDenseReference(string engineName, DiffusionModel model, AffinityKernel kernel, Precision precision, int seed)
    {
        var random = new Random(seed + 1);
        int n = 41 + 2 * random.Next(20), d = 3 + 2 * random.Next(3), classes = 3;
        var (all, truth) = TestData.Blobs(seed, n + 9, d, classes);
        var x = TestData.Slice(all, 0, n);
        var xNew = TestData.Slice(all, n, 9);
        var labels = TestData.PartialLabels(seed, truth[..n], classes, 0.2);
        var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = kernel, Gamma = 2, NNeighbors = 5, Precision = precision, RowTile = 5, ColumnTile = 19,
        };
        output.WriteLine($"seed {seed}: n={n} d={d} {options}");

        using var engine = TestData.CreateEngine(engineName);
        using var graph = engine.BuildGraph(TestData.ToMatrix(x, precision), options);
        var fitted = engine.Diffuse(graph, labels, classes, options);
        var actual = engine.PredictProba(graph, fitted, TestData.ToMatrix(xNew, precision));

        var fittedDistributions = new double[n, classes];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++) fittedDistributions[i, c] = fitted.Distributions[i * classes + c];
        var expected = DenseReference.PredictProba(TestData.Rounded(x, precision), fittedDistributions, TestData.Rounded(xNew, precision), options);
        double tolerance = precision == Precision.Float64 ? 1e-9 : 2e-5;
        double difference = TestData.MaxDifference(actual, expected);
        Assert.True(difference < tolerance, $"seed {seed}: max difference {difference:E3} exceeds {tolerance:E1}");
    }
}
