using GpuSpread.Engine.Cpu;
using GpuSpread.Tests.Reference;
using Xunit.Abstractions;

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

        using var engine = new CpuEngine();
        using var graph = engine.BuildGraph(TestData.ToMatrix(x, precision), options);
        var actual = engine.Diffuse(graph, labels, classes, options);
        double skipped = ((dynamic)graph).LastPassSkippedFraction;
        var expected = DenseReference.Fit(TestData.Rounded(x, precision), labels, classes, options);
        double difference = TestData.MaxDifference(actual.Distributions, expected.Distributions);
        output.WriteLine($"{model} {precision}: skipped {skipped:P1} of the tile work, max |difference| {difference:E3}");
        Assert.True(skipped > 0.5, $"expected most far tiles to be skipped, skipped {skipped:P1}");
        Assert.True(difference < (precision == Precision.Float64 ? 1e-9 : 2e-5), $"differs from the dense reference by {difference:E3}");
        Assert.Equal(expected.NIter, actual.NIter);
    }
}
