using System.Reflection;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.IR;
using ILGPU.IR.Intrinsics;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>
/// The arithmetic every kernel shares, written so that the CPU simulator, CUDA and OpenCL compute the same
/// numbers as the CPU engine:
/// <list type="bullet">
/// <item><see cref="Fma(float, float, float)"/>: one rounding. ILGPU 1.5.3 has no FMA of its own; on the CPU
/// simulator the method body (MathF.FusedMultiplyAdd) runs, on CUDA it is <c>fma.rn</c>, on OpenCL <c>fma()</c>
/// (custom intrinsics, <see cref="Register"/>).</item>
/// <item><see cref="Multiply(float, float)"/>: a product that is rounded on its own. ILGPU emits <c>mul.f32</c>,
/// which ptxas may contract with a following add into an FMA (one rounding where the CPU engine has two);
/// <c>mul.rn</c> forbids that. OpenCL C contracts only within one expression, and ILGPU writes one operation per
/// statement, so the plain product is already strict there.</item>
/// <item>Exp and log of float64 values (the F state) by Cody-Waite reduction and fixed polynomials: ILGPU's
/// float64 Exp/Log on PTX are CORDIC approximations, and its float32 Exp is <c>ex2.approx</c>, whose error grows
/// with |x|.</item>
/// </list>
/// </summary>
internal static class DeviceMath
{
    /// <summary>a * b + c with one rounding.</summary>
    [IntrinsicImplementation]
    public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <summary>a * b + c with one rounding.</summary>
    [IntrinsicImplementation]
    public static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);

    /// <summary>a * b rounded to float, never fused with what follows.</summary>
    [IntrinsicImplementation]
    public static float Multiply(float a, float b) => a * b;

    /// <summary>a * b rounded to double, never fused with what follows.</summary>
    [IntrinsicImplementation]
    public static double Multiply(double a, double b) => a * b;

    /// <summary>
    /// exp(x) for x &lt;= 0 in float32, bit for bit the CPU engine's Simd.ExpNonPositive: Cody-Waite reduction
    /// and a degree-7 Taylor polynomial; results below float's smallest normal number are 0 (exp(-inf) = 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ExpNonPositive(float x)
    {
        const float lowest = -87.33654f; // ln of float's smallest normal number
        if (!(x >= lowest)) return 0f;
        const float magic = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low bits
        float shifted = Fma(x, 1.44269504088896341f, magic);
        float n = shifted - magic;
        float r = Fma(n, -0.693359375f, x);
        r = Fma(n, 2.12194440e-4f, r);
        float p = 1f / 5040;
        p = Fma(p, r, 1f / 720);
        p = Fma(p, r, 1f / 120);
        p = Fma(p, r, 1f / 24);
        p = Fma(p, r, 1f / 6);
        p = Fma(p, r, 0.5f);
        p = Fma(p, r, 1f);
        p = Fma(p, r, 1f);
        float scale = Interop.IntAsFloat((Interop.FloatAsInt(shifted) + 127u) << 23);
        return Multiply(p, scale);
    }

    /// <summary>
    /// exp(x) for x &lt;= 0 in float64, bit for bit the CPU engine's Simd.ExpNonPositive: degree-12 Taylor
    /// polynomial; results below double's smallest normal number are 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ExpNonPositive(double x)
    {
        const double lowest = -708.3964185322641; // ln of double's smallest normal number
        if (!(x >= lowest)) return 0.0;
        double shifted = Fma(x, 1.4426950408889634, Magic);
        double n = shifted - Magic;
        double r = Fma(n, -6.93145751953125E-1, x);
        r = Fma(n, -1.4286068203094172321E-6, r);
        double p = Polynomial(r);
        double scale = Interop.IntAsFloat((Interop.FloatAsInt(shifted) + 1023ul) << 52);
        return Multiply(p, scale);
    }

    private const double Magic = 6755399441055744.0; // 1.5 * 2^52

    /// <summary>The Taylor polynomial of exp on |r| &lt;= ln2/2 (relative error below 3e-16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Polynomial(double r)
    {
        double p = 1.0 / 479001600;
        p = Fma(p, r, 1.0 / 39916800);
        p = Fma(p, r, 1.0 / 3628800);
        p = Fma(p, r, 1.0 / 362880);
        p = Fma(p, r, 1.0 / 40320);
        p = Fma(p, r, 1.0 / 5040);
        p = Fma(p, r, 1.0 / 720);
        p = Fma(p, r, 1.0 / 120);
        p = Fma(p, r, 1.0 / 24);
        p = Fma(p, r, 1.0 / 6);
        p = Fma(p, r, 0.5);
        p = Fma(p, r, 1.0);
        return Fma(p, r, 1.0);
    }

    /// <summary>
    /// exp(x) over the whole float64 range, within 2 ulp of Math.Exp: gradual underflow down to exp(-745.13)
    /// (the F state holds label mass that small), +inf above 709.78, NaN for NaN.
    /// </summary>
    public static double Exp(double x)
    {
        if (XMath.IsNaN(x)) return x;
        if (x > 709.782712893384) return double.PositiveInfinity;
        if (x < -745.1332191019412) return 0.0;
        double shifted = Fma(x, 1.4426950408889634, Magic);
        double n = shifted - Magic;
        double r = Fma(n, -6.93145751953125E-1, x);
        r = Fma(n, -1.4286068203094172321E-6, r);
        double p = Polynomial(r);
        // 2^n in two normal factors, so that a subnormal result is rounded once.
        long exponent = (long)n;
        long half = exponent / 2;
        double first = Interop.IntAsFloat((ulong)(half + 1023) << 52);
        double second = Interop.IntAsFloat((ulong)(exponent - half + 1023) << 52);
        return Multiply(Multiply(p, first), second);
    }

    /// <summary>
    /// Natural logarithm over the whole float64 range (fdlibm's __ieee754_log: below 1 ulp): -inf at 0,
    /// NaN below 0, +inf at +inf; subnormal inputs are scaled first.
    /// </summary>
    public static double Log(double x)
    {
        if (XMath.IsNaN(x) || x < 0) return double.NaN;
        if (x == 0) return double.NegativeInfinity;
        if (x == double.PositiveInfinity) return x;
        long exponent = 0;
        if (x < 2.2250738585072014E-308)
        {
            x = Multiply(x, 18014398509481984.0); // 2^54
            exponent = -54;
        }
        ulong bits = Interop.FloatAsInt(x);
        exponent += (long)((bits >> 52) & 0x7ff) - 1023;
        double m = Interop.IntAsFloat((bits & 0x000fffffffffffffUL) | 0x3ff0000000000000UL); // in [1, 2)
        if (m > 1.4142135623730951)
        {
            m = Multiply(m, 0.5);
            exponent++;
        }
        double f = m - 1.0;
        double s = f / (2.0 + f);
        double z = Multiply(s, s);
        double w = Multiply(z, z);
        double t1 = Multiply(w, Fma(w, Fma(w, 1.531383769920937332e-01, 2.222219843214978396e-01), 3.999999999940941908e-01));
        double t2 = Multiply(z, Fma(w, Fma(w, Fma(w, 1.479819860511658591e-01, 1.818357216161805012e-01), 2.857142874366239149e-01),
            6.666666666666735130e-01));
        double r = t2 + t1;
        double hfsq = Multiply(Multiply(0.5, f), f);
        double k = exponent;
        const double ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10;
        return Multiply(k, ln2Hi) - ((hfsq - (Multiply(s, hfsq + r) + Multiply(k, ln2Lo))) - f);
    }

    /// <summary>Registers the CUDA and OpenCL implementations of the methods above with a context.</summary>
    public static void Register(Context context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var manager = context.GetIntrinsicManager();
        foreach (var (name, type, ptx) in new (string, Type, string)[]
                 {
                     (nameof(Fma), typeof(float), nameof(FmaF32Ptx)), (nameof(Fma), typeof(double), nameof(FmaF64Ptx)),
                     (nameof(Multiply), typeof(float), nameof(MulF32Ptx)), (nameof(Multiply), typeof(double), nameof(MulF64Ptx)),
                 })
        {
            int arity = name == nameof(Fma) ? 3 : 2;
            var method = typeof(DeviceMath).GetMethod(name, BindingFlags.Public | BindingFlags.Static, Enumerable.Repeat(type, arity).ToArray())!;
            manager.RegisterMethod(method, new PTXIntrinsic(typeof(DeviceMath), ptx, IntrinsicImplementationMode.GenerateCode));
            manager.RegisterMethod(method, new CLIntrinsic(typeof(DeviceMath),
                name == nameof(Fma) ? nameof(FmaCl) : nameof(MulCl), IntrinsicImplementationMode.GenerateCode));
        }
    }

    private static void FmaF32Ptx(PTXBackend backend, PTXCodeGenerator generator, Value value) => EmitPtx(generator, value, "fma.rn.f32");

    private static void FmaF64Ptx(PTXBackend backend, PTXCodeGenerator generator, Value value) => EmitPtx(generator, value, "fma.rn.f64");

    private static void MulF32Ptx(PTXBackend backend, PTXCodeGenerator generator, Value value) => EmitPtx(generator, value, "mul.rn.f32");

    private static void MulF64Ptx(PTXBackend backend, PTXCodeGenerator generator, Value value) => EmitPtx(generator, value, "mul.rn.f64");

    private static void EmitPtx(PTXCodeGenerator generator, Value value, string instruction)
    {
        var first = generator.LoadPrimitive(value[0]);
        var second = generator.LoadPrimitive(value[1]);
        var third = value.Count > 2 ? generator.LoadPrimitive(value[2]) : null;
        var target = generator.AllocateHardware(value);
        using var command = generator.BeginCommand(instruction);
        command.AppendArgument(target);
        command.AppendArgument(first);
        command.AppendArgument(second);
        if (third is not null) command.AppendArgument(third);
    }

    private static void FmaCl(CLBackend backend, CLCodeGenerator generator, Value value) => EmitCl(generator, value, "fma");

    private static void MulCl(CLBackend backend, CLCodeGenerator generator, Value value)
    {
        var left = generator.Load(value[0]);
        var right = generator.Load(value[1]);
        var target = generator.Allocate(value);
        using var statement = generator.BeginStatement(target);
        statement.Append(left);
        statement.AppendCommand(" * ");
        statement.Append(right);
    }

    private static void EmitCl(CLCodeGenerator generator, Value value, string function)
    {
        var first = generator.Load(value[0]);
        var second = generator.Load(value[1]);
        var third = generator.Load(value[2]);
        var target = generator.Allocate(value);
        using var statement = generator.BeginStatement(target);
        statement.AppendCommand(function);
        statement.BeginArguments();
        statement.AppendArgument(first);
        statement.AppendArgument(second);
        statement.AppendArgument(third);
        statement.EndArguments();
    }
}
