using GpuSpread.Engine.Cpu;
using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>Properties every engine must have, whatever the oracle: on seeded random inputs.</summary>
public class PropertyTests(ITestOutputHelper output)
{
    public static TheoryData<string, DiffusionModel, AffinityKernel> Cases()
    {
        var data = new TheoryData<string, DiffusionModel, AffinityKernel>();
        foreach (var engine in TestData.EngineNames)
            foreach (var model in new[] { DiffusionModel.Spreading, DiffusionModel.Propagation })
                foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
                    data.Add(engine, model, kernel);
        return data;
    }

    private static DiffusionOptions OptionsFor(DiffusionModel model, AffinityKernel kernel) =>
        (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = kernel, Gamma = 2, NNeighbors = 5, RowTile = 5, ColumnTile = 23,
        };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RowsSumToOneAndLabeledRowsStayClampedInPropagation(string engineName, DiffusionModel model, AffinityKernel kernel)
    {
        const int seed = 31, n = 73, classes = 4;
        var (x, truth) = TestData.Blobs(seed, n, 6, classes);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.2);
        using var engine = TestData.CreateEngine(engineName);
        var fitted = TestData.Fit(engine, x, labels, classes, OptionsFor(model, kernel));
        for (int i = 0; i < n; i++)
        {
            var row = fitted.Distributions.AsSpan(i * classes, classes);
            double sum = 0;
            foreach (double value in row)
            {
                Assert.InRange(value, 0, 1);
                sum += value;
            }
            Assert.True(Math.Abs(sum - 1) < 1e-6, $"seed {seed}: row {i} sums to {sum}");
            if (model == DiffusionModel.Propagation && labels[i] >= 0)
                Assert.Equal(1.0, row[labels[i]]);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PermutingRowsPermutesResults(string engineName, DiffusionModel model, AffinityKernel kernel)
    {
        const int seed = 47, n = 59, d = 5, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, d, classes);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.2);
        var random = new Random(seed);
        var permutation = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        var permutedX = new double[n, d];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < d; f++) permutedX[i, f] = x[permutation[i], f];
        var permutedLabels = permutation.Select(p => labels[p]).ToArray();

        using var engine = TestData.CreateEngine(engineName);
        var options = OptionsFor(model, kernel);
        var original = TestData.Fit(engine, x, labels, classes, options);
        var permuted = TestData.Fit(engine, permutedX, permutedLabels, classes, options);
        Assert.Equal(original.NIter, permuted.NIter);
        double max = 0;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++)
                max = Math.Max(max, Math.Abs(permuted.Distributions[i * classes + c] - original.Distributions[permutation[i] * classes + c]));
        output.WriteLine($"max |difference| after permutation: {max:E3}");
        Assert.True(max < 1e-5, $"seed {seed}: permuted results differ by {max:E3}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResultsDoNotDependOnTileSizes(string engineName, DiffusionModel model, AffinityKernel kernel)
    {
        const int seed = 53, n = 67, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, 7, classes);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.2);
        using var engine = TestData.CreateEngine(engineName);
        var reference = TestData.Fit(engine, x, labels, classes, OptionsFor(model, kernel) with { RowTile = null, ColumnTile = null });
        foreach (var (rowTile, columnTile) in new[] { (1, 1), (3, 17), (4, 16), (7, 40), (67, 1000) })
        {
            var tiled = TestData.Fit(engine, x, labels, classes, OptionsFor(model, kernel) with { RowTile = rowTile, ColumnTile = columnTile });
            double max = tiled.Distributions.Zip(reference.Distributions, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(max < 1e-6, $"tiles {rowTile} x {columnTile}: results differ by {max:E3}");
            Assert.Equal(reference.NIter, tiled.NIter);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CachedAndRecomputedDistancesAgree(string engineName, DiffusionModel model, AffinityKernel kernel)
    {
        const int seed = 59, n = 301, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, 4, classes);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.05);
        // The CPU engine's per-row cache must give the recomputed answer bit for bit; its symmetric store (each pair
        // computed once, scaled by both rows' tile maxima) the same answer to rounding.
        bool symmetric = engineName == "cpu-symmetric";
        using var engine = engineName == "cpu" ? new CpuEngine(RbfWeightLayout.PerRow) : TestData.CreateEngine(engineName);
        // A limit of 1 GiB caches the tile maxima and every weight block the passes compute twice (or holds the store).
        var cached = TestData.Fit(engine, x, labels, classes, OptionsFor(model, kernel) with { MemoryLimitBytes = 1L << 30 });
        // The smallest limit leaves no room for a cache: every pass recomputes its tiles.
        var recomputed = TestData.Fit(engine, x, labels, classes, OptionsFor(model, kernel) with { MemoryLimitBytes = DiffusionOptions.MinimumMemoryLimitBytes });
        if (symmetric && kernel == AffinityKernel.Rbf)
        {
            double difference = cached.Distributions.Zip(recomputed.Distributions, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(difference is > 0 and < 1e-7, $"store and recomputation differ by {difference:E3}");
            Assert.Equal(recomputed.NIter, cached.NIter);
        }
        else Assert.Equal(cached.Distributions, recomputed.Distributions);
    }

    /// <summary>
    /// The float32 trap (docs/semantics.md): every affinity below float32's smallest normal number. A float32 fit must
    /// still give float64's answer (stabilised exponents, log-scaled rows), not all-zero rows and classes_[0].
    /// The points lie along a jittered line so that each sees its two neighbours at exp(-95) and exp(-380)
    /// and nothing else (beyond the float64 underflow cut): far below float32, well inside float64.
    /// </summary>
    [Theory]
    [MemberData(nameof(Engines))]
    public void Float32SurvivesAffinitiesBelowItsRange(string engineName)
    {
        const int seed = 71, n = 45, classes = 3;
        var random = new Random(seed);
        var x = new double[n, 2];
        for (int i = 0; i < n; i++)
        {
            x[i, 0] = i + 0.05 * TestData.Gaussian(random);
            x[i, 1] = 0.05 * TestData.Gaussian(random);
        }
        var labels = Enumerable.Repeat(-1, n).ToArray();
        labels[3] = 0; labels[20] = 1; labels[22] = 1; labels[40] = 2;
        double closest = double.PositiveInfinity;
        for (int i = 1; i < n; i++) closest = Math.Min(closest, DenseReference.SquaredDistance(x, i, x, i - 1));
        foreach (var model in new[] { DiffusionModel.Spreading, DiffusionModel.Propagation })
        {
            var options = OptionsFor(model, AffinityKernel.Rbf) with { Gamma = 95 / closest, Precision = Precision.Float32 };
            var rounded = TestData.Rounded(x, Precision.Float32);
            var w = DenseReference.Affinity(rounded, options);
            double largestOffDiagonal = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (i != j) largestOffDiagonal = Math.Max(largestOffDiagonal, w[i, j]);
            Assert.True(largestOffDiagonal < 1e-38, $"the case must underflow float32; largest affinity {largestOffDiagonal:E3}");
            var expected = DenseReference.Fit(rounded, labels, classes, options);

            using var engine = TestData.CreateEngine(engineName);
            var actual = TestData.Fit(engine, x, labels, classes, options);
            double difference = TestData.MaxDifference(actual.Distributions, expected.Distributions);
            int zeroRows = Enumerable.Range(0, n).Count(i => actual.Distributions.AsSpan(i * classes, classes).IndexOfAnyExcept(0.0) < 0);
            output.WriteLine($"{model}: largest affinity {largestOffDiagonal:E3}, max |difference| {difference:E3}, zero rows {zeroRows}, n_iter {actual.NIter}");
            Assert.True(difference < 1e-4, $"{model}: float32 differs from float64 by {difference:E3}");
            Assert.Equal(expected.NIter, actual.NIter);
        }
    }

    /// <summary>
    /// On a grid every point has several neighbours at exactly the same distance: the k nearest must be
    /// taken lower index first, as the dense reference does, whatever the tiling.
    /// </summary>
    [Theory]
    [MemberData(nameof(Engines))]
    public void KnnTiesGoToTheLowerIndex(string engineName)
    {
        const int side = 7, n = side * side, classes = 3;
        var x = new double[n, 2];
        for (int i = 0; i < n; i++)
        {
            x[i, 0] = i % side;
            x[i, 1] = i / side;
        }
        var labels = Enumerable.Repeat(-1, n).ToArray();
        labels[0] = 0; labels[24] = 1; labels[48] = 2;
        using var engine = TestData.CreateEngine(engineName);
        foreach (var model in new[] { DiffusionModel.Spreading, DiffusionModel.Propagation })
            foreach (int k in new[] { 2, 4, 6 })
                foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                {
                    var options = OptionsFor(model, AffinityKernel.Knn) with { NNeighbors = k, Precision = precision, RowTile = 3, ColumnTile = 17 };
                    var expected = DenseReference.Fit(x, labels, classes, options);
                    var actual = TestData.Fit(engine, x, labels, classes, options);
                    double difference = TestData.MaxDifference(actual.Distributions, expected.Distributions);
                    Assert.True(difference < 1e-9, $"{model} k={k} {precision}: differs from the reference by {difference:E3}");
                    Assert.Equal(expected.NIter, actual.NIter);
                }
    }

    /// <summary>
    /// Groups of identical rows, shuffled: more rows tie at distance 0 than the search keeps candidates, so the
    /// candidate lists fill with ties and each later tie must still displace a higher index, whatever order the
    /// tiles and the spatial order bring them in.
    /// </summary>
    [Theory]
    [MemberData(nameof(Engines))]
    public void KnnTiesAmongDuplicatesGoToTheLowerIndex(string engineName)
    {
        const int groups = 3, copies = 19, n = groups * copies, classes = 3;
        using var engine = TestData.CreateEngine(engineName);
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var random = new Random(seed);
            var group = Enumerable.Range(0, n).Select(i => i % groups).OrderBy(_ => random.Next()).ToArray();
            var x = new double[n, 3];
            for (int i = 0; i < n; i++)
            {
                x[i, 0] = group[i];
                x[i, 1] = 0.5 * group[i] * group[i];
                x[i, 2] = -group[i];
            }
            var labels = Enumerable.Repeat(-1, n).ToArray();
            for (int c = 0; c < classes; c++) labels[Array.IndexOf(group, c)] = c;
            foreach (int k in new[] { 3, 7, 12 })
            {
                var options = OptionsFor(DiffusionModel.Spreading, AffinityKernel.Knn) with { NNeighbors = k, RowTile = 5, ColumnTile = 17 };
                var expected = DenseReference.Fit(x, labels, classes, options);
                var actual = TestData.Fit(engine, x, labels, classes, options);
                double difference = TestData.MaxDifference(actual.Distributions, expected.Distributions);
                Assert.True(difference < 1e-9, $"seed {seed}, k={k}: differs from the reference by {difference:E3}");
            }
        }
    }

    public static TheoryData<string> Engines => TestData.Engines;
}
