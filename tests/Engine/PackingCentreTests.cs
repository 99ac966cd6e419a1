namespace GpuSpread.Tests.Engine;

/// <summary>The packing centre is the lower median of each column over the evenly spaced sample of rows.</summary>
public class PackingCentreTests
{
    [Theory]
    [InlineData(1, 1, 3)]
    [InlineData(2, 7, 5)]
    [InlineData(3, 1000, 33)]
    [InlineData(4, 9001, 3)]
    public void IsTheSampledColumnMedian(int seed, int rows, int cols)
    {
        var random = new Random(seed);
        var values = new double[rows * cols];
        // Many repeated values (as the zero pixels of images) and a few far ones.
        for (int i = 0; i < values.Length; i++)
            values[i] = random.Next(4) == 0 ? random.Next(3) : random.NextDouble() < 0.01 ? 1e8 * (random.NextDouble() - 0.5) : random.NextDouble();
        var features = FeatureMatrix.FromDouble(values, rows, cols);
        var centre = features.PackingCentre();
        int sample = Math.Min(rows, FeatureMatrix.CentreSampleRows);
        for (int k = 0; k < cols; k++)
        {
            var column = Enumerable.Range(0, sample).Select(s => features[(int)((long)s * rows / sample), k]).Order().ToArray();
            Assert.True(column[(sample - 1) / 2] == centre[k], $"seed {seed}: column {k}: {centre[k]} is not the median {column[(sample - 1) / 2]}");
        }
    }
}
