using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Vector256 and Vector512 operations over float or double that .NET offers only per type (FMA, exp). The
/// <c>typeof(T)</c> tests are constants to the JIT, so each instantiation compiles to one instruction path.
/// The kernels take maxima with <c>MaxNative</c> (one vmaxps/vmaxpd) and plain comparisons: their values are
/// never NaN, and IEEE 754 maximum's rules for NaN and signed zeros cost eight instructions a vector.
/// </summary>
internal static class Simd
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>
    /// exp(x) for x &lt;= 0, the only exponents the passes take (everything is relative to a row maximum).
    /// Results below T's smallest normal number are returned as 0: they are at most 1e-38 (float) of the
    /// row's largest term. .NET's Vector256.Exp runs at about a tenth of this speed here.
    /// Cody-Waite reduction x = n ln2 + r, |r| &lt;= ln2/2, and a Taylor polynomial (float: degree 7,
    /// relative error below 1e-7; double: degree 12, below 3e-16), scaled by 2^n through the exponent bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> ExpNonPositive<T>(Vector256<T> x)
    {
        if (typeof(T) == typeof(float)) return ExpNonPositive(x.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return ExpNonPositive(x.AsDouble()).As<double, T>();
        throw new NotSupportedException(typeof(T).Name);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ExpNonPositive(Vector256<float> x)
    {
        var lowest = Vector256.Create(-87.33654f); // ln of float's smallest normal number
        var underflow = Vector256.LessThan(x, lowest);
        x = Vector256.MaxNative(x, lowest);
        var magic = Vector256.Create(12582912f); // 1.5 * 2^23: adding it rounds to an integer in the low bits
        var shifted = Vector256.FusedMultiplyAdd(x, Vector256.Create(1.44269504088896341f), magic);
        var n = shifted - magic;
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.Create(1f / 5040);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        var scale = Vector256.ShiftLeft(shifted.AsInt32() + Vector256.Create(127), 23).AsSingle();
        return Vector256.ConditionalSelect(underflow, Vector256<float>.Zero, p * scale);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ExpNonPositive(Vector256<double> x)
    {
        var lowest = Vector256.Create(-708.3964185322641); // ln of double's smallest normal number
        var underflow = Vector256.LessThan(x, lowest);
        x = Vector256.MaxNative(x, lowest);
        var magic = Vector256.Create(6755399441055744.0); // 1.5 * 2^52
        var shifted = Vector256.FusedMultiplyAdd(x, Vector256.Create(1.4426950408889634), magic);
        var n = shifted - magic;
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-6.93145751953125E-1), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-1.4286068203094172321E-6), r);
        var p = Vector256.Create(1.0 / 479001600);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 39916800));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 3628800));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 362880));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 40320));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 5040));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 720));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 120));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 24));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.0 / 6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(0.5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<double>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<double>.One);
        var scale = Vector256.ShiftLeft(shifted.AsInt64() + Vector256.Create(1023L), 52).AsDouble();
        return Vector256.ConditionalSelect(underflow, Vector256<double>.Zero, p * scale);
    }

    /// <summary>ln of T's smallest normal number: <see cref="ExpNonPositive{T}"/> returns 0 below it.</summary>
    public static double LogSmallestNormal<T>()
    {
        if (typeof(T) == typeof(float)) return -87.33654;
        if (typeof(T) == typeof(double)) return -708.3964185322641;
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>exp of a scalar in T's own precision (MathF for float: no silent float64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.Exp(x);

    /// <summary>The first four values of <paramref name="values"/> as float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> WidenFour<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return Vector256.Create(MemoryMarshal.Cast<T, double>(values[..4]));
        if (typeof(T) == typeof(float)) return Vector256.WidenLower(Vector128.Create(MemoryMarshal.Cast<T, float>(values[..4])).ToVector256Unsafe());
        return Vector256.Create(double.CreateTruncating(values[0]), double.CreateTruncating(values[1]),
            double.CreateTruncating(values[2]), double.CreateTruncating(values[3]));
    }

    /// <summary>The largest lane, by halving shuffles (element access goes through memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T HorizontalMax<T>(Vector256<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var half = Vector128.MaxNative(v.AsSingle().GetLower(), v.AsSingle().GetUpper());
            half = Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1)));
            half = Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(1, 0, 3, 2)));
            return T.CreateTruncating(half.ToScalar());
        }
        if (typeof(T) == typeof(double))
        {
            var half = Vector128.MaxNative(v.AsDouble().GetLower(), v.AsDouble().GetUpper());
            half = Vector128.MaxNative(half, Vector128.Shuffle(half, Vector128.Create(1L, 0L)));
            return T.CreateTruncating(half.ToScalar());
        }
        throw new NotSupportedException(typeof(T).Name);
    }
}
