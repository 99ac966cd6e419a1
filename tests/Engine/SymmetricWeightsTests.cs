using GpuSpread.Engine.Cpu;
using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The CPU engine's symmetric store of rbf weights (each pair once, read from both sides) and the cost model that
/// chooses it. The parity suites run it too, as engine "cpu-symmetric"; these tests pin what they cannot: several
/// row tiles with a short last one (so blocks are read by columns), rows far from everything (their unit weights
/// underflow and are formed in full), and the choice between the store and the per-row passes.
/// </summary>
public class SymmetricWeightsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(DiffusionModel.Spreading, Precision.Float64, 1e-9)]
    [InlineData(DiffusionModel.Propagation, Precision.Float64, 1e-9)]
    [InlineData(DiffusionModel.Spreading, Precision.Float32, 2e-5)]
    [InlineData(DiffusionModel.Propagation, Precision.Float32, 2e-5)]
    public void MatchesTheDenseReferenceAcrossTilesAndForFarRows(DiffusionModel model, Precision precision, double tolerance)
    {
        const int seed = 97, n = 203, d = 7, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, d, classes, sigma: 0.5);
        // Three rows far from everything: each term of theirs is below float32's range relative to the block's
        // nearest pairs, so their rows (and their columns, read from the other side) must be formed in full.
        for (int f = 0; f < d; f++)
        {
            x[17, f] += 6;
            x[150, f] -= 7;
            x[202, f] += f % 2 == 0 ? 8 : -8;
        }
        var labels = TestData.PartialLabels(seed, truth, classes, 0.1);
        var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Gamma = 2, Precision = precision, Tol = 1e-7, MaxIter = 2000,
        };

        using var engine = new CpuEngine(RbfWeightLayout.Symmetric);
        using var graph = engine.BuildGraph(TestData.ToMatrix(x, precision), options);
        Assert.IsAssignableFrom(precision == Precision.Float64 ? typeof(SymmetricWeights<double>) : typeof(SymmetricWeights<float>),
            (object)((dynamic)Assert.IsType<CpuGraph>(graph).Operator).Pass);
        var actual = engine.Diffuse(graph, labels, classes, options);
        var expected = DenseReference.Fit(TestData.Rounded(x, precision), labels, classes, options);
        double difference = TestData.MaxDifference(actual.Distributions, expected.Distributions);
        output.WriteLine($"seed {seed}, {model} {precision}: max |difference| {difference:E3}, n_iter {actual.NIter}");
        Assert.True(difference < tolerance, $"seed {seed}: differs from the dense reference by {difference:E3}");
        Assert.Equal(expected.NIter, actual.NIter);
    }

    [Theory]
    [InlineData(132, 5, 1.0, 16)]
    [InlineData(200, 9, 40.0, 64)]
    [InlineData(68, 3, 400.0, 20)]
    public void PrunabilityCountsWhatTheDefinitionSays(int n, int d, double gamma, int columnTile)
    {
        const int seed = 5;
        var (x, _) = TestData.Blobs(seed, n, d, 3, sigma: 0.2);
        var features = TestData.ToMatrix(x, Precision.Float64);
        var packed = new PackedRows<double>(features, new double[d]);
        int tile = packed.RoundTile(columnTile);
        // Every row sampled (n is a multiple of 4).
        var measured = SymmetricWeights<double>.Prunability(packed, gamma, DiffusionOptions.Float64UnderflowExponent, tile, n, CancellationToken.None);

        long pairs = 0, tiles = 0;
        int tileCount = (packed.PaddedRows + tile - 1) / tile;
        for (int q = 0; q < n; q++)
        {
            var exponents = new double[n];
            for (int j = 0; j < n; j++)
            {
                double scaled = gamma * DenseReference.SquaredDistance(x, q, x, j);
                exponents[j] = j == q || scaled > DiffusionOptions.Float64UnderflowExponent ? double.NegativeInfinity : -scaled;
            }
            double floor = exponents.Max() - RbfPass<double>.PruneMargin;
            pairs += exponents.Count(e => !(e >= floor));
            for (int t = 0; t < tileCount; t++)
                if (exponents.Skip(t * tile).Take(tile).All(e => !(e >= floor))) tiles++;
        }
        output.WriteLine($"n {n}, gamma {gamma}, tile {tile}: pairs {measured.Pairs:F4}, tiles {measured.Tiles:F4}");
        Assert.Equal((double)pairs / ((long)n * n), measured.Pairs, 12);
        Assert.Equal((double)tiles / ((long)n * tileCount), measured.Tiles, 12);
        Assert.True(measured.Tiles <= measured.Pairs + 1e-12);
    }

    [Fact]
    public void TheEngineKeepsOverlappingDataInTheStore()
    {
        // Wide blobs in few dimensions: no pair is exp(-60) below its row's nearest, so no tile could be skipped.
        var (x, truth) = TestData.Blobs(13, 301, 4, 3, sigma: 0.8);
        var labels = TestData.PartialLabels(13, truth, 3, 0.1);
        var options = DiffusionOptions.Spreading() with { Gamma = 0.5, Precision = Precision.Float64 };
        using var engine = new CpuEngine();
        using var graph = engine.BuildGraph(TestData.ToMatrix(x, Precision.Float64), options);
        Assert.IsType<SymmetricWeights<double>>((object)((dynamic)Assert.IsType<CpuGraph>(graph).Operator).Pass);
        // Without the spatial order the store works in the rows' own order; results come back in it too.
        var actual = engine.Diffuse(graph, labels, 3, options);
        var expected = DenseReference.Fit(x, labels, 3, options);
        Assert.True(TestData.MaxDifference(actual.Distributions, expected.Distributions) < 1e-9);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(158)]
    public void EveryPairOfTilesMeetsOnceAndNoTileTwiceInARound(int tiles)
    {
        int players = tiles % 2 == 0 ? tiles : tiles + 1;
        var met = new HashSet<(int, int)>();
        for (int round = 0; round < players - 1; round++)
        {
            var busy = new HashSet<int>();
            for (int match = 0; match < players / 2; match++)
            {
                var (first, second) = SymmetricWeights<double>.Match(players, round, match);
                Assert.True(busy.Add(first) && busy.Add(second), $"round {round}: a tile plays twice");
                if (first < tiles && second < tiles) Assert.True(met.Add((Math.Min(first, second), Math.Max(first, second))));
            }
        }
        Assert.Equal(tiles * (tiles - 1) / 2, met.Count);
    }

    [Fact]
    public void TheSameFitGivesTheSameBits()
    {
        // Rows take their terms in an order fixed by the schedule, not by the threads.
        var (x, truth) = TestData.Blobs(3, 517, 6, 4, sigma: 0.6);
        var labels = TestData.PartialLabels(3, truth, 4, 0.05);
        var options = DiffusionOptions.Spreading() with { Gamma = 1, Precision = Precision.Float32 };
        using var engine = new CpuEngine(RbfWeightLayout.Symmetric);
        var first = TestData.Fit(engine, x, labels, 4, options);
        for (int run = 0; run < 3; run++) Assert.Equal(first.Distributions, TestData.Fit(engine, x, labels, 4, options).Distributions);
    }
}
