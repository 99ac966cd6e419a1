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

    private static int[] Search<T>(FeatureMatrix features, int columnTile, int k) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var columns = KnnSearch.CreateColumns<T>(features, features.Scales.Centre, SpatialOrder.Compute(features), columnTile);
        return KnnSearch.SearchTraining(columns, k, CpuEngine.DefaultRowTile, null, CancellationToken.None);
    }
}
