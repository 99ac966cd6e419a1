using System.Numerics;
using System.Runtime.Intrinsics;
using GpuSpread.Engine.Cpu;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The distance micro-kernel in both widths (Vector256 and Vector512 panels, whichever the CPU prefers: Vector512
/// runs in software where AVX-512 is missing) against float64 distances, on awkward sizes: odd row counts and
/// dimensions, tiles that start past the first panel pair and end in the padding, one to four query rows.
/// </summary>
public class DistanceKernelTests
{
    public static TheoryData<int, int, int, bool> Cases()
    {
        var cases = new TheoryData<int, int, int, bool>();
        foreach (bool wide in new[] { false, true })
            foreach (var (seed, n, d) in new[] { (1, 1, 1), (2, 37, 3), (3, 101, 17), (4, 70, 64), (5, 129, 67) })
                cases.Add(seed, n, d, wide);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FloatDistancesMatchFloat64(int seed, int n, int d, bool wide) =>
        Check<float>(seed, n, d, wide ? Vector512<float>.Count : Vector256<float>.Count, 2e-6);

    [Theory]
    [MemberData(nameof(Cases))]
    public void DoubleDistancesMatchFloat64(int seed, int n, int d, bool wide) =>
        Check<double>(seed, n, d, wide ? Vector512<double>.Count : Vector256<double>.Count, 1e-14);

    [Fact]
    public void PreferredWidthIsTheWidestNativeVector()
    {
        int expected = Vector512.IsHardwareAccelerated ? 16 : 8;
        Assert.Equal(expected, DistanceKernel.PreferredLanes<float>());
        Assert.Equal(expected, new PackedRows<float>(FeatureMatrix.FromSingle(new float[6], 3, 2), new double[2]).Lanes);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PackedRows<float>(FeatureMatrix.FromSingle(new float[6], 3, 2), new double[2], lanes: 4));
    }

    private static void Check<T>(int seed, int n, int d, int lanes, double relativeTolerance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var values = new double[n * d];
        for (int i = 0; i < values.Length; i++) values[i] = 3 * random.NextDouble() - 1; // not centred: the packing shifts
        var features = FeatureMatrix.FromDouble(values, n, d);
        var packed = new PackedRows<T>(features, features.PackingCentre(), lanes: lanes);
        Assert.Equal(lanes, packed.Lanes);
        int step = lanes * PackedRows<T>.PanelsPerStep;
        Assert.Equal(0, packed.PaddedRows % step);
        Assert.InRange(packed.PaddedRows - n, 0, step - 1);

        // Tiles of one step and of three, the second starting one step in; the last runs into the padding.
        foreach (int tile in new[] { step, 3 * step })
            for (int tileStart = tile == step ? 0 : step; tileStart < packed.PaddedRows; tileStart += tile)
            {
                int columns = Math.Min(tile, packed.PaddedRows - tileStart);
                var output = new T[DistanceKernel.QueryRowsPerStep * tile];
                for (int first = 0; first < n; first += DistanceKernel.QueryRowsPerStep)
                {
                    int count = Math.Min(DistanceKernel.QueryRowsPerStep, n - first);
                    if (first % 3 == 1) count = 1 + random.Next(count); // fewer rows than the block holds
                    Array.Fill(output, T.NaN);
                    DistanceKernel.SquaredDistances(packed.RowMajor, packed.Norms, first, count, packed, tileStart, columns, output, tile);
                    for (int r = 0; r < DistanceKernel.QueryRowsPerStep; r++)
                    {
                        int query = first + Math.Min(r, count - 1); // the missing rows repeat the last real one
                        for (int c = 0; c < columns; c++)
                        {
                            double actual = double.CreateTruncating(output[r * tile + c]);
                            int column = tileStart + c;
                            if (column >= n)
                            {
                                Assert.False(double.IsNaN(actual), $"padding column {column} not written");
                                continue;
                            }
                            double expected = 0, scale = 0;
                            for (int k = 0; k < d; k++)
                            {
                                double difference = values[query * d + k] - values[column * d + k];
                                expected += difference * difference;
                                scale += double.CreateTruncating(packed.RowMajor[query * d + k] * packed.RowMajor[query * d + k]
                                    + packed.RowMajor[column * d + k] * packed.RowMajor[column * d + k]);
                            }
                            // |q|^2 + |c|^2 - 2 q.c cancels: its error is relative to the norms, not to the distance.
                            Assert.True(Math.Abs(actual - expected) <= relativeTolerance * (scale + 1),
                                $"seed {seed}, n {n}, d {d}, lanes {lanes}: distance({query}, {column}) = {actual:R}, expected {expected:R}");
                        }
                    }
                }
            }
    }
}
