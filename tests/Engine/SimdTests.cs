using System.Runtime.Intrinsics;
using GpuSpread.Engine.Cpu;

namespace GpuSpread.Tests.Engine;

/// <summary>The CPU engine's vector helpers: exp against Math.Exp (float64) over the whole non-positive range it is
/// used on; the horizontal maximum and the widening load against plain loops.</summary>
public class SimdTests
{
    [Fact]
    public void FloatExpIsAccurateAndFlushesBelowTheNormalRange()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 20000; trial++)
        {
            var x = Vector256.Create(Enumerable.Range(0, 8).Select(_ => (float)(-90 * Math.Pow(random.NextDouble(), 2))).ToArray());
            var y = Simd.ExpNonPositive(x);
            for (int lane = 0; lane < 8; lane++)
            {
                double expected = Math.Exp(x[lane]);
                if (x[lane] < -87.33654f) Assert.Equal(0f, y[lane]);
                else Assert.True(Math.Abs(y[lane] - expected) <= 2.5e-7 * expected, $"exp({x[lane]:R}) = {y[lane]:R}, expected {expected:R}");
            }
        }
        var special = Simd.ExpNonPositive(Vector256.Create(0f, float.NegativeInfinity, -0f, -1e-30f, -87f, -88f, -1000f, -0.5f));
        Assert.Equal([1f, 0f, 1f, 1f, (float)Math.Exp(-87), 0f, 0f, (float)Math.Exp(-0.5)], Enumerable.Range(0, 8).Select(i => special[i]).ToArray());
    }

    [Fact]
    public void DoubleExpIsAccurateAndFlushesBelowTheNormalRange()
    {
        var random = new Random(4);
        for (int trial = 0; trial < 20000; trial++)
        {
            var x = Vector256.Create(Enumerable.Range(0, 4).Select(_ => -720 * Math.Pow(random.NextDouble(), 3)).ToArray());
            var y = Simd.ExpNonPositive(x);
            for (int lane = 0; lane < 4; lane++)
            {
                double expected = Math.Exp(x[lane]);
                if (x[lane] < -708.3964185322641) Assert.Equal(0.0, y[lane]);
                else Assert.True(Math.Abs(y[lane] - expected) <= 1e-15 * expected, $"exp({x[lane]:R}) = {y[lane]:R}, expected {expected:R}");
            }
        }
        var special = Simd.ExpNonPositive(Vector256.Create(0.0, double.NegativeInfinity, -745.0, -1e-300));
        Assert.Equal([1.0, 0.0, 0.0, 1.0], Enumerable.Range(0, 4).Select(i => special[i]).ToArray());
    }

    [Fact]
    public void HorizontalMaxFindsTheLargestLaneInAnyPosition()
    {
        const int seed = 17;
        var random = new Random(seed);
        for (int trial = 0; trial < 2000; trial++)
        {
            var singles = Enumerable.Range(0, 8).Select(_ => random.Next(4) == 0 ? float.NegativeInfinity : (float)(200 * random.NextDouble() - 100)).ToArray();
            var doubles = Enumerable.Range(0, 4).Select(_ => random.Next(4) == 0 ? double.NegativeInfinity : 200 * random.NextDouble() - 100).ToArray();
            Assert.True(singles.Max() == Simd.HorizontalMax(Vector256.Create(singles)), $"seed {seed}, trial {trial}: [{string.Join(", ", singles)}]");
            Assert.True(doubles.Max() == Simd.HorizontalMax(Vector256.Create(doubles)), $"seed {seed}, trial {trial}: [{string.Join(", ", doubles)}]");
        }
        for (int lane = 0; lane < 8; lane++)
        {
            var one = Enumerable.Repeat(float.NegativeInfinity, 8).ToArray();
            one[lane] = -3.5f;
            Assert.Equal(-3.5f, Simd.HorizontalMax(Vector256.Create(one)));
        }
        Assert.Equal(double.NegativeInfinity, Simd.HorizontalMax(Vector256.Create(double.NegativeInfinity)));
    }

    [Fact]
    public void WidenFourReadsTheFirstFourValuesAsFloat64()
    {
        float[] singles = [1.5f, -2.25f, float.NegativeInfinity, 3e38f, 7f];
        double[] doubles = [1e300, -0.0, double.NegativeInfinity, 4.5, 9.0];
        var fromSingles = Simd.WidenFour<float>(singles);
        var fromDoubles = Simd.WidenFour<double>(doubles);
        Assert.Equal(singles.Take(4).Select(v => (double)v), Enumerable.Range(0, 4).Select(i => fromSingles[i]));
        Assert.Equal(doubles.Take(4), Enumerable.Range(0, 4).Select(i => fromDoubles[i]));
        Assert.Equal(singles.Skip(1).Take(4).Select(v => (double)v), Enumerable.Range(0, 4).Select(i => Simd.WidenFour<float>(singles.AsSpan(1))[i]));
    }
}
