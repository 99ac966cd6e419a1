using GpuSpread.Engine.Cpu;
using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The CPU engine skips tiles whose distance bounds put every term below exp(-60) of the row's largest:
/// on well separated clusters it must skip most of the work and still give the dense float64 answer.
/// </summary>
public class PruningTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(DiffusionModel.Spreading, Precision.Float64)]
    [InlineData(DiffusionModel.Propagation, Precision.Float64)]
    [InlineData(DiffusionModel.Spreading, Precision.Float32)]
    [InlineData(DiffusionModel.Propagation, Precision.Float32)]
    public void SkipsFarTilesWithoutChangingTheAnswer(DiffusionModel model, Precision precision)
    {
        const int seed = 83, n = 401, d = 6, clusters = 5, classes = 3;
        var random = new Random(seed);
        var centres = new double[clusters, d];
        for (int c = 0; c < clusters; c++)
            for (int f = 0; f < d; f++) centres[c, f] = 10 * random.NextDouble();
        var x = new double[n, d];
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            // Classes cut across the clusters, so that every row's distribution is a real mixture
            // and a wrongly skipped near tile would show.
            truth[i] = random.Next(classes);
            for (int f = 0; f < d; f++) x[i, f] = centres[i % clusters, f] + 0.2 * TestData.Gaussian(random);
        }
        var labels = TestData.PartialLabels(seed, truth, classes, 0.1);
        // Cross-cluster terms are far below exp(-60) of the in-cluster ones but not cut (gamma r < 745).
        var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Gamma = 3, Precision = precision, RowTile = 24, ColumnTile = 16,
        };

        // The engine's own cost model must choose the per-row passes here: they skip most of the work.
        using var engine = new CpuEngine();
        using var graph = engine.BuildGraph(TestData.ToMatrix(x, precision), options);
        var actual = engine.Diffuse(graph, labels, classes, options);
        double skipped = ((dynamic)((dynamic)Assert.IsType<CpuGraph>(graph).Operator).Pass).LastPassSkippedFraction;
        var expected = DenseReference.Fit(TestData.Rounded(x, precision), labels, classes, options);
        double difference = TestData.MaxDifference(actual.Distributions, expected.Distributions);
        output.WriteLine($"{model} {precision}: skipped {skipped:P1} of the tile work, max |difference| {difference:E3}");
        Assert.True(skipped > 0.5, $"expected most far tiles to be skipped, skipped {skipped:P1}");
        Assert.True(difference < (precision == Precision.Float64 ? 1e-9 : 2e-5), $"differs from the dense reference by {difference:E3}");
        Assert.Equal(expected.NIter, actual.NIter);
    }

    /// <summary>
    /// Two clusters whose cross terms are about exp(-45) of the in-cluster ones: beyond what the distance bound
    /// proves (about exp(-32)), within the pruning margin, so the passes after the first must keep them although
    /// the tile maxima the first pass cached show them small. Class 1 is labeled only in the second cluster, so
    /// every row of the first holds its class-1 mass through those terms alone: a tiny entry, compared relatively.
    /// </summary>
    [Theory]
    [InlineData(DiffusionModel.Spreading, Precision.Float64, 1e-9)]
    [InlineData(DiffusionModel.Propagation, Precision.Float64, 1e-9)]
    [InlineData(DiffusionModel.Spreading, Precision.Float32, 1e-4)]
    [InlineData(DiffusionModel.Propagation, Precision.Float32, 1e-4)]
    public void KeepsSmallTermsWithinTheMargin(DiffusionModel model, Precision precision, double relativeTolerance)
    {
        const int seed = 89, perCluster = 61, d = 5;
        var random = new Random(seed);
        var x = new double[2 * perCluster, d];
        var labels = Enumerable.Repeat(-1, 2 * perCluster).ToArray();
        for (int i = 0; i < 2 * perCluster; i++)
            for (int f = 0; f < d; f++) x[i, f] = (i >= perCluster && f == 0 ? 6.7 : 0) + 0.3 * TestData.Gaussian(random);
        labels[3] = 0; labels[40] = 0; labels[perCluster + 5] = 1; labels[perCluster + 50] = 0;
        var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Gamma = 1, Precision = precision, RowTile = 8, ColumnTile = 16, Tol = 1e-6,
        };

        var actual = TestData.Fit(new CpuEngine(RbfWeightLayout.PerRow), x, labels, 2, options);
        var expected = DenseReference.Fit(TestData.Rounded(x, precision), labels, 2, options);
        double worst = 0, smallest = 1;
        for (int i = 0; i < perCluster; i++)
        {
            if (labels[i] >= 0) continue; // propagation clamps them to their label
            double value = actual.Distributions[i * 2 + 1], reference = expected.Distributions[i, 1];
            smallest = Math.Min(smallest, reference);
            worst = Math.Max(worst, Math.Abs(value - reference) / reference);
        }
        output.WriteLine($"{model} {precision}: smallest class-1 probability {smallest:E3}, worst relative difference {worst:E3}");
        Assert.True(smallest is > 0 and < 1e-12, $"the case must hold class-1 mass far below the in-cluster terms, got {smallest:E3}");
        Assert.True(worst < relativeTolerance, $"class-1 probabilities of the first cluster differ by {worst:E3} (relative, seed {seed})");
    }
}
