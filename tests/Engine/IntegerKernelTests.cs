using System.Runtime.Intrinsics;
using GpuSpread.Engine.Cpu;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The exact integer distance kernel (AVX-VNNI): which rows it takes, and its distances against exact integer
/// arithmetic, on awkward sizes: dimensions that leave a partial group of four bytes, row counts that leave padding
/// columns, tiles past the first panels, one to four query rows, the extreme bytes 0 and 255.
/// </summary>
public class IntegerKernelTests(ITestOutputHelper output)
{
    private static (double[] Values, int[,] Bytes) RandomBytes(int seed, int n, int d)
    {
        var random = new Random(seed);
        var bytes = new int[n, d];
        var values = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < d; f++)
            {
                // A third of the values at the extremes, where the signed-byte shift and the int32 sums are tested.
                int choice = random.Next(6);
                bytes[i, f] = choice == 0 ? 0 : choice == 1 ? 255 : random.Next(256);
                values[i * d + f] = bytes[i, f];
            }
        return (values, bytes);
    }

    public static TheoryData<int, int, int> Sizes() => new() { { 1, 1, 1 }, { 2, 37, 3 }, { 3, 101, 17 }, { 4, 70, 64 }, { 5, 129, 785 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void IntegerFeaturesGiveExactDistances(int seed, int n, int d)
    {
        Assert.SkipUnless(IntegerRows.Supported, "the CPU lacks AVX-VNNI");
        var (values, bytes) = RandomBytes(seed, n, d);
        foreach (bool single in new[] { false, true })
        {
            var features = single ? FeatureMatrix.FromSingle(values.Select(v => (float)v).ToArray(), n, d) : FeatureMatrix.FromDouble(values, n, d);
            if (single) Check(new PackedRows<float>(features, new double[d], integerKernel: true), bytes, 1, seed);
            else Check(new PackedRows<double>(features, new double[d], integerKernel: true), bytes, 1, seed);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void PixelsOver255GiveTheBytesDistancesScaled(int seed, int n, int d)
    {
        Assert.SkipUnless(IntegerRows.Supported, "the CPU lacks AVX-VNNI");
        var (values, bytes) = RandomBytes(seed, n, d);
        // One byte whose p / 255 is no integer, so that the scale is 1/255 even for the one-value case.
        bytes[0, 0] = 7;
        values[0] = 7;
        // As NumPy writes pixels / 255 in each precision.
        var single = FeatureMatrix.FromSingle(values.Select(v => (float)v / 255f).ToArray(), n, d);
        var packedSingle = new PackedRows<float>(single, new double[d], integerKernel: true);
        Assert.Equal(1.0 / 255, packedSingle.Integer!.Scale);
        Check(packedSingle, bytes, 1.0 / 255, seed);
        var packedDouble = new PackedRows<double>(FeatureMatrix.FromDouble(values.Select(v => v / 255).ToArray(), n, d), new double[d], integerKernel: true);
        Check(packedDouble, bytes, 1.0 / 255, seed);
    }

    [Fact]
    public void OtherValuesKeepTheFloatKernel()
    {
        Assert.SkipUnless(IntegerRows.Supported, "the CPU lacks AVX-VNNI");
        double[][] refused =
        [
            [0, 1, 2, 255.5], // not an integer, not p / 255
            [0, 1, 2, 256], // beyond a byte
            [0, -1, 2, 3], // negative
            [0, 1, 2, 0.3], // neither, and 0.3 * 255 is not an integer
            [0, 1.0 / 255, 2, 3], // p / 255 mixed with integers above 1
        ];
        foreach (var values in refused)
            Assert.Null(new PackedRows<double>(FeatureMatrix.FromDouble(values, 2, 2), new double[2], integerKernel: true).Integer);
        Assert.Null(new PackedRows<double>(FeatureMatrix.FromDouble([0, 1, 2, 3], 2, 2), new double[2]).Integer);
        Assert.NotNull(new PackedRows<double>(FeatureMatrix.FromDouble([0, 1, 2, 3], 2, 2), new double[2], integerKernel: true).Integer);
    }

    /// <summary>Every (row group, tile) of the rows against themselves against sum (p_i - p_j)^2 scale^2.</summary>
    private void Check<T>(PackedRows<T> packed, int[,] bytes, double scale, int seed) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Assert.NotNull(packed.Integer);
        int n = bytes.GetLength(0), d = bytes.GetLength(1);
        int step = 2 * packed.Lanes;
        int tile = 3 * step;
        var buffer = new T[4 * tile];
        double worst = 0;
        for (int first = 0; first < n; first += 4)
        {
            int rows = Math.Min(4, n - first);
            for (int start = 0; start < packed.PaddedRows; start += tile)
            {
                int columns = Math.Min(tile, packed.PaddedRows - start);
                DistanceKernel.SquaredDistances(packed.RowMajor, packed.Norms, first, rows, packed, start, columns, buffer, tile);
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < columns && start + j < n; j++)
                    {
                        long exact = 0;
                        for (int f = 0; f < d; f++) exact += (long)(bytes[first + r, f] - bytes[start + j, f]) * (bytes[first + r, f] - bytes[start + j, f]);
                        double expected = exact * scale * scale;
                        double actual = double.CreateTruncating(buffer[r * tile + j]);
                        // float32 rounds the integer and its scaling: two roundings of 2^-24 each.
                        double tolerance = typeof(T) == typeof(double) ? 1e-15 * expected : 1.2e-7 * expected;
                        worst = Math.Max(worst, Math.Abs(actual - expected) / Math.Max(expected, 1e-300));
                        Assert.True(Math.Abs(actual - expected) <= tolerance,
                            $"seed {seed}, {typeof(T).Name}: rows {first + r}, {start + j}: {actual} against {expected}");
                    }
            }
        }
        output.WriteLine($"seed {seed}, {typeof(T).Name}, n {n}, d {d}, scale {scale}: worst relative error {worst:E2}");
    }
}
