using System.Runtime.Intrinsics;
using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu.Kernels;

namespace GpuSpread.Tests.Gpu;

/// <summary>
/// The kernels' own math: the float32 and float64 exp of the weights must be the CPU engine's bit for bit (so
/// that both engines round the same weights), and the float64 exp and log of the F state must be within 2 ulp
/// of .NET's over the whole range the loop sees, subnormals included.
/// </summary>
public class DeviceMathTests
{
    [Fact]
    public void WeightExpIsTheCpuEnginesBitForBit()
    {
        var random = new Random(17);
        for (int t = 0; t < 20000; t++)
        {
            float x = t < 100 ? -t : -(float)(random.NextDouble() * 100);
            Assert.Equal(Simd.ExpNonPositive(Vector256.Create(x))[0], DeviceMath.ExpNonPositive(x));
            double y = t < 100 ? -8 * t : -random.NextDouble() * 760;
            Assert.Equal(Simd.ExpNonPositive(Vector256.Create(y))[0], DeviceMath.ExpNonPositive(y));
        }
        Assert.Equal(0f, DeviceMath.ExpNonPositive(float.NegativeInfinity));
        Assert.Equal(0f, DeviceMath.ExpNonPositive(float.NaN));
        Assert.Equal(0.0, DeviceMath.ExpNonPositive(double.NegativeInfinity));
    }

    [Fact]
    public void StateExpAndLogAreWithinTwoUlpOfDotNet()
    {
        var random = new Random(23);
        for (int t = 0; t < 50000; t++)
        {
            double x = (random.NextDouble() * 2 - 1) * 745;
            AssertClose(Math.Exp(x), DeviceMath.Exp(x), x);
            double y = Math.Exp((random.NextDouble() * 2 - 1) * 740) * (1 + random.NextDouble());
            AssertClose(Math.Log(y), DeviceMath.Log(y), y);
        }
        foreach (double x in new[] { -745.13, -744.5, -708.5, -1e-300, 0, 1e-300, 709.7 })
            AssertClose(Math.Exp(x), DeviceMath.Exp(x), x);
        foreach (double y in new[] { double.Epsilon, 1e-310, 2.2250738585072014E-308, 0.5, 1, 1.4142135623730951, 2, double.MaxValue })
            AssertClose(Math.Log(y), DeviceMath.Log(y), y);
        Assert.Equal(0.0, DeviceMath.Exp(double.NegativeInfinity));
        Assert.Equal(0.0, DeviceMath.Exp(-746));
        Assert.Equal(double.PositiveInfinity, DeviceMath.Exp(710));
        Assert.Equal(double.NegativeInfinity, DeviceMath.Log(0));
        Assert.True(double.IsNaN(DeviceMath.Log(-1)));
        Assert.Equal(double.PositiveInfinity, DeviceMath.Log(double.PositiveInfinity));
    }

    [Fact]
    public void FmaAndStrictProductRoundLikeDotNet()
    {
        Assert.Equal(MathF.FusedMultiplyAdd(1.1f, 3.3f, -3.63f), DeviceMath.Fma(1.1f, 3.3f, -3.63f));
        Assert.Equal(Math.FusedMultiplyAdd(0.1, 0.3, -0.03), DeviceMath.Fma(0.1, 0.3, -0.03));
        Assert.Equal(1.1f * 3.3f, DeviceMath.Multiply(1.1f, 3.3f));
    }

    private static void AssertClose(double expected, double actual, double input)
    {
        if (expected == actual) return;
        double ulps = Math.Abs(BitConverter.DoubleToInt64Bits(expected) - BitConverter.DoubleToInt64Bits(actual));
        Assert.True(ulps <= 2, $"f({input:R}) = {actual:R}, .NET {expected:R} ({ulps} ulp apart)");
    }
}
