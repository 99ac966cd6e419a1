using GpuSpread.Engine.Cpu;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The symmetric store's accumulation by class, with the rows in the vector (<see cref="RbfPass{T}.AccumulateByClass"/>),
/// against a float64 loop of acc_r += f_r sum_c w_rc G_c: widths of one, two and three steps of classes, fewer classes
/// than the width (odd counts too), odd column counts, rows with a zero factor, both weight types (float32 widened,
/// float64); and the single class's dot products a row (<see cref="RbfPass{T}.AccumulateRowDots"/>).
/// </summary>
public class AccumulationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 8, 7, 4, 4)]
    [InlineData(2, 16, 64, 12, 12)]
    [InlineData(3, 64, 33, 20, 20)]
    [InlineData(4, 24, 1, 8, 8)]
    [InlineData(5, 64, 64, 28, 28)]
    [InlineData(6, 64, 64, 12, 10)]
    [InlineData(7, 16, 9, 4, 1)]
    [InlineData(8, 8, 64, 28, 15)]
    [InlineData(9, 32, 5, 24, 6)]
    [InlineData(10, 8, 3, 8, 0)]
    public void ByClassMatchesTheDefinition(int seed, int rows, int columns, int width, int classes)
    {
        // Classes go in pairs: the sums of the columns past them stay as they were.
        int accumulated = (classes + 1) / 2 * 2;
        const int stride = 64, sumsStride = 71;
        var random = new Random(seed);
        var single = new float[(columns - 1) * stride + rows];
        var g = new double[columns * width];
        var factors = new double[rows];
        for (int i = 0; i < single.Length; i++) single[i] = (float)random.NextDouble();
        for (int i = 0; i < g.Length; i++) g[i] = random.NextDouble();
        for (int r = 0; r < rows; r++) factors[r] = r % 5 == 0 ? 0 : Math.Exp(-3 * random.NextDouble());
        var start = new double[(width - 1) * sumsStride + rows];
        for (int i = 0; i < start.Length; i++) start[i] = random.NextDouble();
        var expected = (double[])start.Clone();
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < accumulated; k++)
            {
                double sum = 0;
                for (int c = 0; c < columns; c++) sum += single[c * stride + r] * g[c * width + k];
                expected[k * sumsStride + r] += factors[r] * sum;
            }

        var fromSingle = (double[])start.Clone();
        RbfPass<float>.AccumulateByClass<float>(single, stride, rows, columns, g, width, classes, factors, fromSingle, sumsStride);
        var fromDouble = (double[])start.Clone();
        RbfPass<double>.AccumulateByClass<double>(single.Select(v => (double)v).ToArray(), stride, rows, columns, g, width, classes, factors, fromDouble, sumsStride);

        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Max(Math.Abs(fromSingle[i] - expected[i]), Math.Abs(fromDouble[i] - expected[i])) / (1 + Math.Abs(expected[i])));
        output.WriteLine($"seed {seed}: largest relative difference {worst:E2}");
        Assert.True(worst < 1e-13, $"seed {seed}: the by-class sums differ from the definition by {worst:E2}");
    }

    [Theory]
    [InlineData(11, 4, 8)]
    [InlineData(12, 64, 64)]
    [InlineData(13, 36, 40)]
    [InlineData(14, 8, 128)]
    public void RowDotsMatchTheDefinition(int seed, int rows, int columns)
    {
        // One class of G in column 0 of width 4; a row stride past the columns, as in a tile narrower than the block.
        const int gStride = 4;
        int rowStride = columns + 8;
        var random = new Random(seed);
        var single = new float[(rows - 1) * rowStride + columns];
        var g = new double[columns * gStride];
        var factors = new double[rows];
        for (int i = 0; i < single.Length; i++) single[i] = (float)random.NextDouble();
        for (int i = 0; i < g.Length; i++) g[i] = random.NextDouble();
        for (int r = 0; r < rows; r++) factors[r] = r % 5 == 0 ? 0 : Math.Exp(-3 * random.NextDouble());
        var start = new double[rows];
        for (int r = 0; r < rows; r++) start[r] = random.NextDouble();
        var expected = (double[])start.Clone();
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < columns; c++) sum += single[r * rowStride + c] * g[c * gStride];
            expected[r] += factors[r] * sum;
        }

        var fromSingle = (double[])start.Clone();
        RbfPass<float>.AccumulateRowDots<float>(single, rowStride, rows, columns, g, gStride, factors, fromSingle);
        var fromDouble = (double[])start.Clone();
        RbfPass<double>.AccumulateRowDots<double>(single.Select(v => (double)v).ToArray(), rowStride, rows, columns, g, gStride, factors, fromDouble);

        double worst = 0;
        for (int r = 0; r < rows; r++)
            worst = Math.Max(worst, Math.Max(Math.Abs(fromSingle[r] - expected[r]), Math.Abs(fromDouble[r] - expected[r])) / (1 + Math.Abs(expected[r])));
        output.WriteLine($"seed {seed}: largest relative difference {worst:E2}");
        Assert.True(worst < 1e-13, $"seed {seed}: the row dots differ from the definition by {worst:E2}");
    }

    [Fact]
    public void RowDotsRefuseRowsThatAreNotGroupsOfFour()
    {
        var weights = new float[64 * 64];
        var g = new double[64 * 4];
        Assert.Throws<ArgumentException>(() => RbfPass<float>.AccumulateRowDots<float>(weights, 64, 6, 64, g, 4, new double[6], new double[6]));
    }

    [Fact]
    public void ByClassRefusesRowsThatAreNotWholeVectors()
    {
        var weights = new float[64 * 64];
        var g = new double[64 * 4];
        Assert.Throws<ArgumentException>(() =>
            RbfPass<float>.AccumulateByClass<float>(weights, 64, 6, 64, g, 4, 4, new double[6], new double[4 * 64], 64));
    }

    [Fact]
    public void ByClassRefusesMoreClassesThanGHasColumns()
    {
        var weights = new float[64 * 64];
        var g = new double[64 * 4];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            RbfPass<float>.AccumulateByClass<float>(weights, 64, 8, 64, g, 4, 5, new double[8], new double[4 * 64], 64));
    }
}
