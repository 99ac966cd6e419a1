using System.Runtime.CompilerServices;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>
/// The arithmetic of the weight computations in the engine's precision T (float or double), as static
/// abstract members so that one kernel source serves both precisions and ILGPU compiles each instantiation
/// to plain T instructions. Every float operation is float: no silent float64 in the float32 kernels.
/// </summary>
internal interface IReal<T> where T : unmanaged
{
    static abstract T Zero();
    static abstract T NegativeInfinity();
    static abstract T FromDouble(double value);

    /// <summary>A float constant (exact in both precisions: -2, 0.5).</summary>
    static abstract T FromSingle(float value);

    static abstract double ToDouble(T value);
    static abstract T Add(T a, T b);
    static abstract T Subtract(T a, T b);

    /// <summary>The rounded product, never contracted into an FMA with what follows.</summary>
    static abstract T Multiply(T a, T b);

    static abstract T Fma(T a, T b, T c);
    static abstract T Max(T a, T b);
    static abstract bool Greater(T a, T b);
    static abstract bool IsNegativeInfinity(T a);
    static abstract bool IsZero(T a);

    /// <summary>exp(x) for x &lt;= 0, 0 below T's smallest normal number (the CPU engine's exp, bit for bit).</summary>
    static abstract T ExpNonPositive(T x);

    /// <summary>
    /// One term of a tile's sum of w_j G_j. float32 sums are compensated (Kahan: the running compensation is
    /// the negated lost low part), float64 sums are plain FMAs, as in the CPU engine.
    /// </summary>
    static abstract Sum<T> Accumulate(Sum<T> sum, T weight, T value);
}

/// <summary>A running tile sum and its compensation (zero for float64): the total is Value - Compensation.</summary>
internal struct Sum<T> where T : unmanaged
{
    public T Value;
    public T Compensation;
}

/// <summary>float32 weights: the default precision.</summary>
internal readonly struct SingleReal : IReal<float>
{
    public static float Zero() => 0f;
    public static float NegativeInfinity() => float.NegativeInfinity;
    public static float FromDouble(double value) => (float)value;
    public static float FromSingle(float value) => value;
    public static double ToDouble(float value) => value;
    public static float Add(float a, float b) => a + b;
    public static float Subtract(float a, float b) => a - b;
    public static float Multiply(float a, float b) => DeviceMath.Multiply(a, b);
    public static float Fma(float a, float b, float c) => DeviceMath.Fma(a, b, c);
    public static float Max(float a, float b) => a > b ? a : b;
    public static bool Greater(float a, float b) => a > b;
    public static bool IsNegativeInfinity(float a) => a == float.NegativeInfinity;
    public static bool IsZero(float a) => a == 0f;
    public static float ExpNonPositive(float x) => DeviceMath.ExpNonPositive(x);

    /// <remarks>
    /// Why float32 with compensation rather than float64: a float64 FMA per (pair, class) runs at 1/64 of the
    /// float32 rate on consumer GPUs (1/2 on an H100), and the tile's weights are float32 anyway. Each term
    /// w * G_j carries one float32 rounding of G_j and one of the product (1.2e-7 relative at most, all terms
    /// positive), the compensation removes the summation error, and each tile's total goes into the float64
    /// row state; the exponent's own float32 rounding (up to 1e-6 relative for |b| near 90) dominates both.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Sum<float> Accumulate(Sum<float> sum, float weight, float value)
    {
        float y = DeviceMath.Fma(weight, value, -sum.Compensation);
        float t = sum.Value + y;
        sum.Compensation = (t - sum.Value) - y;
        sum.Value = t;
        return sum;
    }
}

/// <summary>float64 weights (<c>--precision float64</c>).</summary>
internal readonly struct DoubleReal : IReal<double>
{
    public static double Zero() => 0.0;
    public static double NegativeInfinity() => double.NegativeInfinity;
    public static double FromDouble(double value) => value;
    public static double FromSingle(float value) => value;
    public static double ToDouble(double value) => value;
    public static double Add(double a, double b) => a + b;
    public static double Subtract(double a, double b) => a - b;
    public static double Multiply(double a, double b) => DeviceMath.Multiply(a, b);
    public static double Fma(double a, double b, double c) => DeviceMath.Fma(a, b, c);
    public static double Max(double a, double b) => a > b ? a : b;
    public static bool Greater(double a, double b) => a > b;
    public static bool IsNegativeInfinity(double a) => a == double.NegativeInfinity;
    public static bool IsZero(double a) => a == 0.0;
    public static double ExpNonPositive(double x) => DeviceMath.ExpNonPositive(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Sum<double> Accumulate(Sum<double> sum, double weight, double value)
    {
        sum.Value = DeviceMath.Fma(weight, value, sum.Value);
        return sum;
    }
}

/// <summary>Four values of one query row at a thread's four columns (registers, not an array: no local memory).</summary>
internal struct Quad<T> where T : unmanaged
{
    public T C0, C1, C2, C3;

    public static Quad<T> Fill(T value) => new() { C0 = value, C1 = value, C2 = value, C3 = value };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Quad<T> Fma<TReal>(T a, Quad<T> b, Quad<T> acc) where TReal : struct, IReal<T> => new()
    {
        C0 = TReal.Fma(a, b.C0, acc.C0),
        C1 = TReal.Fma(a, b.C1, acc.C1),
        C2 = TReal.Fma(a, b.C2, acc.C2),
        C3 = TReal.Fma(a, b.C3, acc.C3),
    };

    public readonly T Max<TReal>() where TReal : struct, IReal<T> => TReal.Max(TReal.Max(C0, C1), TReal.Max(C2, C3));
}

/// <summary>A thread's 4 x 4 block of (query row, column) pairs.</summary>
internal struct Block<T> where T : unmanaged
{
    public Quad<T> R0, R1, R2, R3;

    public static Block<T> Fill(T value)
    {
        var quad = Quad<T>.Fill(value);
        return new Block<T> { R0 = quad, R1 = quad, R2 = quad, R3 = quad };
    }
}
