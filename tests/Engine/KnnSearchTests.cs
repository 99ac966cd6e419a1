using GpuSpread.Engine.Cpu;
using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The exact knn search of the training rows against a float64 brute force, on many small blobs whose rows need
/// neighbours from other blobs, over many tiles (pruned by the tiles' bounds).
/// </summary>
public class KnnSearchTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 5, Precision.Float32)]
    [InlineData(2, 5, Precision.Float64)]
    [InlineData(3, 10, Precision.Float32)]
    [InlineData(4, 7, Precision.Float64)]
    public void EveryRowGetsItsExactNeighbours(int seed, int columnTile, Precision precision)
    {
        // Tight blobs of five at random places, and k = 8: every row takes three neighbours from other blobs.
        const int blobs = 23, size = 5, d = 2, k = 8;
        var random = new Random(seed);
        var rows = new double[blobs * size, d];
        for (int b = 0; b < blobs; b++)
        {
            double cx = 10 * random.NextDouble(), cy = 10 * random.NextDouble();
            for (int i = b * size; i < (b + 1) * size; i++)
            {
                rows[i, 0] = cx + 0.01 * TestData.Gaussian(random);
                rows[i, 1] = cy + 0.01 * TestData.Gaussian(random);
            }
        }
        rows = TestData.Rounded(rows, precision);
        var features = TestData.ToMatrix(rows, precision);

        int[] actual = precision == Precision.Float32 ? Search<float>(features, columnTile, k) : Search<double>(features, columnTile, k);
        int wrong = 0;
        for (int q = 0; q < rows.GetLength(0); q++)
        {
            var expected = DenseReference.Nearest(rows, rows, q, k);
            if (!expected.SequenceEqual(actual.Skip(q * k).Take(k))) wrong++;
        }
        output.WriteLine($"seed {seed}, tile {columnTile}, {precision}: {wrong} rows differ");
        Assert.True(wrong == 0, $"seed {seed}: {wrong} rows' neighbours differ from the brute force");
    }

    /// <summary>With 128 features and more the search also runs the subspace bound; rows 10 to 13 are outliers, a duplicate
    /// and the centre (<see cref="SubspaceBoundTests.Rows"/>).</summary>
    [Theory]
    [InlineData(31, 203, 131, 10, 1.0, Precision.Float32)]
    [InlineData(32, 150, 160, 7, 1e-6, Precision.Float64)]
    [InlineData(33, 97, 128, 16, 1e5, Precision.Float32)]
    [InlineData(34, 11, 129, 3, 1.0, Precision.Float64)]
    public void EveryRowGetsItsExactNeighboursWithManyFeatures(int seed, int n, int d, int columnTile, double scale, Precision precision)
    {
        const int k = 9;
        var rows = TestData.Rounded(SubspaceBoundTests.Rows(seed, n, d, scale, noise: 0.3), precision);
        var features = TestData.ToMatrix(rows, precision);
        Assert.NotNull(Columns<float>(features, columnTile).Subspace);
        int[] actual = precision == Precision.Float32 ? Search<float>(features, columnTile, k) : Search<double>(features, columnTile, k);
        int wrong = 0;
        for (int q = 0; q < n; q++)
            if (!DenseReference.Nearest(rows, rows, q, k).SequenceEqual(actual.Skip(q * k).Take(k))) wrong++;
        output.WriteLine($"seed {seed}, n {n}, d {d}, scale {scale}: {wrong} rows differ");
        Assert.True(wrong == 0, $"seed {seed}: {wrong} rows' neighbours differ from the brute force");
    }

    /// <summary>New rows (the inductive rule's search) get their own principal coordinates on the training basis.</summary>
    [Theory]
    [InlineData(35, 160, 41, 144, 9, Precision.Float32)]
    [InlineData(36, 97, 23, 131, 16, Precision.Float64)]
    public void NewRowsGetTheirExactNeighboursWithManyFeatures(int seed, int n, int m, int d, int columnTile, Precision precision)
    {
        const int k = 7;
        var all = TestData.Rounded(SubspaceBoundTests.Rows(seed, n + m, d, 1, noise: 0.3), precision);
        var rows = TestData.Slice(all, 0, n);
        var queries = TestData.Slice(all, n, m);
        var features = TestData.ToMatrix(rows, precision);
        var newFeatures = TestData.ToMatrix(queries, precision);
        int[] actual = precision == Precision.Float32
            ? SearchNew<float>(features, newFeatures, columnTile, k)
            : SearchNew<double>(features, newFeatures, columnTile, k);
        int wrong = 0;
        for (int q = 0; q < m; q++)
            if (!DenseReference.Nearest(queries, rows, q, k).SequenceEqual(actual.Skip(q * k).Take(k))) wrong++;
        output.WriteLine($"seed {seed}, n {n}, new rows {m}, d {d}: {wrong} rows differ");
        Assert.True(wrong == 0, $"seed {seed}: {wrong} new rows' neighbours differ from the brute force");
    }

    private static int[] SearchNew<T>(FeatureMatrix features, FeatureMatrix newFeatures, int columnTile, int k)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var columns = Columns<T>(features, columnTile);
        Assert.NotNull(columns.Subspace);
        var queries = new PackedRows<T>(newFeatures, columns.Centre);
        return KnnSearch.Search(columns, queries, null, newFeatures, k, CpuEngine.DefaultRowTile, null, CancellationToken.None);
    }

    [Fact]
    public void ReportsEachRowBlockAsItFinishes()
    {
        // Reports must reach the caller from the search's own threads: posted to the busy thread pool instead, they
        // arrived when the search was over. A slow receiver makes sure some would still be missing when it returns.
        const int n = 1000, d = 6, rowTile = 8;
        var (x, _) = TestData.Blobs(3, n, d, 4);
        var features = TestData.ToMatrix(x, Precision.Float32);
        var reports = new System.Collections.Concurrent.ConcurrentBag<long>();
        KnnSearch.SearchTraining(Columns<float>(features, 16), 5, rowTile, new Recorder(value =>
        {
            Thread.Sleep(1);
            reports.Add(value.Done);
        }), CancellationToken.None);
        Assert.Equal(1 + n / rowTile, reports.Count); // the start, then each block
        Assert.Equal(n, reports.Max());
    }

    private sealed class Recorder(Action<StageProgress> report) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) => report(value);
    }

    [Theory]
    [InlineData(11, 204, 5, 16)]
    [InlineData(12, 96, 3, 7)]
    public void PrunabilityCountsTheTilesBeyondEachRowsLastCandidate(int seed, int n, int d, int columnTile)
    {
        const int k = 5, candidates = k + 4;
        var (x, _) = TestData.Blobs(seed, n, d, 4, sigma: 0.05);
        var features = TestData.ToMatrix(x, Precision.Float64);
        var columns = Columns<double>(features, columnTile);
        // Every row sampled (n is a multiple of 4).
        double measured = KnnSearch.Prunability(columns, k, n, CancellationToken.None);

        var bounds = columns.Bounds;
        var scratch = bounds.CreateScratch(1);
        long skippable = 0;
        for (int q = 0; q < n; q++)
        {
            int original = columns.Order[q];
            double last = Enumerable.Range(0, n).Select(j => DenseReference.SquaredDistance(x, original, x, j)).Order().ElementAt(candidates - 1);
            var lowerBounds = bounds.LowerBounds(columns.Packed.RowMajor, columns.Packed.Norms, q, 1, 1, scratch);
            for (int tile = 0; tile < bounds.Tiles; tile++)
                if (lowerBounds[tile] > last) skippable++;
        }
        double expected = (double)skippable / ((long)n * bounds.Tiles);
        output.WriteLine($"seed {seed}: prunability {measured:F4}, expected {expected:F4}");
        Assert.Equal(expected, measured, 12);
        Assert.InRange(measured, 0.05, 0.95);
    }

    [Fact]
    public void PrunabilityWithManyFeaturesCountsTheSubspaceBoundToo()
    {
        const int n = 204, d = 131, k = 5, candidates = k + 4, columnTile = 12;
        var x = SubspaceBoundTests.Rows(41, n, d, 1, noise: 0.05, outliers: false);
        var features = TestData.ToMatrix(x, Precision.Float64);
        var columns = Columns<double>(features, columnTile);
        double measured = KnnSearch.Prunability(columns, k, n, CancellationToken.None);

        // Between the share the tile bounds alone skip and the share of tiles whose every row is beyond the last candidate.
        var bounds = columns.Bounds;
        var scratch = bounds.CreateScratch(1);
        long byBall = 0, beyond = 0;
        for (int q = 0; q < n; q++)
        {
            int original = columns.Order[q];
            var distances = Enumerable.Range(0, n).Select(j => DenseReference.SquaredDistance(x, original, x, columns.Order[j])).ToArray();
            double last = distances.Order().ElementAt(candidates - 1);
            var lowerBounds = bounds.LowerBounds(columns.Packed.RowMajor, columns.Packed.Norms, q, 1, 1, scratch);
            for (int tile = 0; tile < bounds.Tiles; tile++)
            {
                if (lowerBounds[tile] > last) byBall++;
                int start = tile * bounds.TileColumns, real = Math.Min(bounds.TileColumns, n - start);
                if (real > 0 && distances.AsSpan(start, real).ToArray().Min() > last) beyond++;
            }
        }
        double ball = (double)byBall / ((long)n * bounds.Tiles), truth = (double)beyond / ((long)n * bounds.Tiles);
        output.WriteLine($"prunability {measured:F4}: tile bounds alone {ball:F4}, every row beyond the last candidate {truth:F4}");
        Assert.InRange(measured, ball + 0.05, truth);
    }

    [Fact]
    public void AutoTakesTheExactSearchWhereTheBoundsPruneAndNnDescentWhereTheyCannot()
    {
        const int n = 120_000, d = 64, k = 7;
        var random = new Random(17);
        // Uniform rows: the bounds prune nothing, and 120,000 compared rows are beyond ExactComparedRows.
        var uniform = new float[n * d];
        for (int i = 0; i < uniform.Length; i++) uniform[i] = (float)random.NextDouble();
        Assert.False(ExactIsCheaper(FeatureMatrix.FromSingle(uniform, n, d), k));
        // Ten far clusters: each row is compared with about its own cluster, a tenth of the rows.
        var centres = new double[10, d];
        for (int c = 0; c < 10; c++)
            for (int f = 0; f < d; f++) centres[c, f] = random.NextDouble() - 0.5;
        var clustered = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < d; f++) clustered[i * d + f] = (float)(centres[i % 10, f] + 0.1 * TestData.Gaussian(random));
        Assert.True(ExactIsCheaper(FeatureMatrix.FromSingle(clustered, n, d), k));
        // Below ExactComparedRows rows it does not measure at all.
        Assert.True(ExactIsCheaper(FeatureMatrix.FromSingle(uniform.AsSpan(0, 90_000 * d).ToArray(), 90_000, d), k));
    }

    private static bool ExactIsCheaper(FeatureMatrix features, int k) =>
        GraphKnn.ExactIsCheaper(Columns<float>(features, CpuEngine.ColumnTileFor(features.Rows)), k, CancellationToken.None);

    private static int[] Search<T>(FeatureMatrix features, int columnTile, int k) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        KnnSearch.SearchTraining(Columns<T>(features, columnTile), k, CpuEngine.DefaultRowTile, null, CancellationToken.None);

    /// <summary>The training side as the engine builds it: principal coordinates with many features, spatial order.</summary>
    internal static KnnSearch.Columns<T> Columns<T>(FeatureMatrix features, int columnTile) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (principal, order) = KnnSearch.Arrange(features, features.Scales.Centre);
        return KnnSearch.CreateColumns<T>(features, features.Scales.Centre, order, columnTile, principal);
    }
}
