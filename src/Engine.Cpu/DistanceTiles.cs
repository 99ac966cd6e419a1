using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Rows of a feature matrix laid out for the distance micro-kernel: shifted by the training centre
/// (distances do not change, the norm formula loses fewer digits), row-major for the query side, and
/// transposed into panels of <see cref="Lanes"/> rows for the column side, so one vector load gives one
/// feature of a whole panel. Columns are padded to a whole number of panel pairs with zero rows; the
/// padding is masked by the callers.
/// </summary>
internal sealed class PackedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public const int PanelsPerStep = 2;

    /// <param name="order">Row p of the packing is row order[p] of <paramref name="features"/> (null: the same order).</param>
    /// <param name="lanes">Rows per panel: <see cref="DistanceKernel.PreferredLanes{T}"/> unless a test picks the other kernel.</param>
    /// <param name="integerKernel">Also pack the rows as bytes for <see cref="IntegerRows"/> where they are bytes times a
    /// scale: distances among these rows are then computed exactly, in integers.</param>
    public PackedRows(FeatureMatrix features, double[] centre, int[]? order = null, int? lanes = null, bool integerKernel = false)
    {
        Rows = features.Rows;
        Dims = features.Cols;
        Lanes = lanes ?? DistanceKernel.PreferredLanes<T>();
        if (Lanes != Vector256<T>.Count && Lanes != Vector512<T>.Count)
            throw new ArgumentOutOfRangeException(nameof(lanes), Lanes, "a panel is one Vector256 or one Vector512");
        int panelLanes = Lanes, step = panelLanes * PanelsPerStep;
        PaddedRows = (Rows + step - 1) / step * step;
        RowMajor = new T[(long)Rows * Dims];
        Norms = new T[PaddedRows];
        Panels = new T[(long)PaddedRows * Dims];
        Parallel.For(0, Rows, i =>
        {
            T norm = T.Zero;
            long rowStart = (long)i * Dims;
            long panelStart = (long)(i / panelLanes) * Dims * panelLanes;
            int lane = i % panelLanes;
            for (int k = 0; k < Dims; k++)
            {
                T value = T.CreateTruncating(features[order?[i] ?? i, k] - centre[k]);
                RowMajor[rowStart + k] = value;
                Panels[panelStart + (long)k * panelLanes + lane] = value;
                norm = T.FusedMultiplyAdd(value, value, norm);
            }
            Norms[i] = norm;
        });
        if (integerKernel) Integer = IntegerRows.TryCreate(features, order, PaddedRows);
    }

    /// <summary>The rows as bytes for the exact integer kernel, where they are bytes times a scale (null: they are not,
    /// or it was not asked for).</summary>
    public IntegerRows? Integer { get; }

    public int Rows { get; }
    public int Dims { get; }

    /// <summary>Rows per panel: the width of the vectors the micro-kernel runs on.</summary>
    public int Lanes { get; }

    /// <summary>A column tile size rounded up to whole steps of the micro-kernel (two panels).</summary>
    public int RoundTile(int columnTile)
    {
        int step = Lanes * PanelsPerStep;
        return Math.Max(step, (columnTile + step - 1) / step * step);
    }

    /// <summary>Rows rounded up to a multiple of two panels.</summary>
    public int PaddedRows { get; }

    public T[] RowMajor { get; }
    public T[] Norms { get; }
    public T[] Panels { get; }
}

/// <summary>
/// The register-blocked distance micro-kernel: four query rows against two panels (2 x lanes columns) per
/// step, eight vector accumulators, one FMA per feature per accumulator. Writes the squared distances
/// <c>|q|^2 + |c|^2 - 2 q.c</c>, clamped at 0, into a 4 x tile buffer. Two widths of the same loop: Vector512
/// where the CPU runs it natively (AVX-512: half the loads and broadcasts per flop), Vector256 otherwise.
/// </summary>
internal static class DistanceKernel
{
    public const int QueryRowsPerStep = 4;

    /// <summary>How many groups of <see cref="QueryRowsPerStep"/> rows a sample of at most <paramref name="sampleRows"/> of
    /// <paramref name="rows"/> rows takes (see <see cref="SampleGroupStart"/>).</summary>
    public static int SampleGroups(int rows, int sampleRows) => Math.Min(sampleRows, rows) / QueryRowsPerStep;

    /// <summary>The first row of sampled group <paramref name="group"/> of <paramref name="groups"/>: groups of neighbouring
    /// rows spread evenly over the rows, each starting at a multiple of <see cref="QueryRowsPerStep"/>.</summary>
    public static int SampleGroupStart(int group, int groups, int rows) => (int)((long)group * rows / groups) / QueryRowsPerStep * QueryRowsPerStep;

    /// <summary>The second to fourth rows of a step of <paramref name="queryCount"/> (1..4) query rows from
    /// <paramref name="firstQuery"/>: the missing ones repeat the last, so the kernels always run four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int R1, int R2, int R3) OtherStepRows(int firstQuery, int queryCount) =>
        (firstQuery + Math.Min(1, queryCount - 1), firstQuery + Math.Min(2, queryCount - 1), firstQuery + Math.Min(3, queryCount - 1));

    /// <summary>The panel width <see cref="PackedRows{T}"/> uses by default: the widest vector the CPU runs natively.</summary>
    public static int PreferredLanes<T>() => Vector512.IsHardwareAccelerated ? Vector512<T>.Count : Vector256<T>.Count;

    /// <param name="queries">Query rows, row-major.</param>
    /// <param name="queryNorms">Their squared norms.</param>
    /// <param name="firstQuery">Index of the first of the (up to) four query rows.</param>
    /// <param name="queryCount">How many of the four are real (1..4); the missing ones repeat the last.</param>
    /// <param name="columns">The packed column side.</param>
    /// <param name="firstColumn">First column of the tile, a multiple of two panels.</param>
    /// <param name="tileColumns">Columns in the tile, a multiple of two panels.</param>
    /// <param name="output">4 x <paramref name="stride"/> buffer of squared distances.</param>
    public static void SquaredDistances<T>(T[] queries, T[] queryNorms, int firstQuery, int queryCount,
        PackedRows<T> columns, int firstColumn, int tileColumns, Span<T> output, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Rows against their own set: exact in integers where they are bytes times a scale.
        if (columns.Integer is { } integer && ReferenceEquals(queries, columns.RowMajor))
        {
            integer.SquaredDistances(firstQuery, queryCount, firstColumn, tileColumns, output, stride);
            return;
        }
        int dims = columns.Dims;
        var (r1, r2, r3) = OtherStepRows(firstQuery, queryCount);
        ref T rows = ref MemoryMarshal.GetArrayDataReference(queries);
        ref T x0 = ref Unsafe.Add(ref rows, (nint)firstQuery * dims);
        ref T x1 = ref Unsafe.Add(ref rows, (nint)r1 * dims);
        ref T x2 = ref Unsafe.Add(ref rows, (nint)r2 * dims);
        ref T x3 = ref Unsafe.Add(ref rows, (nint)r3 * dims);
        T n0 = queryNorms[firstQuery], n1 = queryNorms[r1], n2 = queryNorms[r2], n3 = queryNorms[r3];
        ref T panels = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(columns.Panels), (nint)firstColumn * dims);
        ref T columnNorms = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(columns.Norms), firstColumn);
        ref T o = ref MemoryMarshal.GetReference(output);
        if (columns.Lanes == Vector512<T>.Count)
            FourRows<Width512<T>, Vector512<T>, T>(ref x0, ref x1, ref x2, ref x3, n0, n1, n2, n3, ref panels, ref columnNorms, tileColumns, dims, ref o, stride);
        else
            FourRows<Width256<T>, Vector256<T>, T>(ref x0, ref x1, ref x2, ref x3, n0, n1, n2, n3, ref panels, ref columnNorms, tileColumns, dims, ref o, stride);
    }

    /// <summary>
    /// The loop, in vectors of <typeparamref name="TWidth"/>: rows <paramref name="x0"/>..<paramref name="x3"/> (squared
    /// norms n0..n3) against <paramref name="columns"/> columns packed in panels of that width from <paramref name="panels"/>
    /// (their squared norms from <paramref name="columnNorms"/>); row r's distances go to output + r stride.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void FourRows<TWidth, TVector, T>(ref T x0, ref T x1, ref T x2, ref T x3, T n0, T n1, T n2, T n3,
        ref T panels, ref T columnNorms, int columns, int dims, ref T output, int stride)
        where TWidth : struct, IVectorWidth<TVector, T> where TVector : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = TWidth.Count;
        var norm0 = TWidth.Broadcast(n0);
        var norm1 = TWidth.Broadcast(n1);
        var norm2 = TWidth.Broadcast(n2);
        var norm3 = TWidth.Broadcast(n3);
        for (int j = 0; j < columns; j += 2 * lanes)
        {
            ref T p0 = ref Unsafe.Add(ref panels, (nint)j * dims);
            ref T p1 = ref Unsafe.Add(ref p0, (nint)lanes * dims);
            TVector a00 = default, a01 = default, a10 = default, a11 = default;
            TVector a20 = default, a21 = default, a30 = default, a31 = default;
            // nint counters and a running panel offset: no sign extensions or multiplies in the loop, whose 17
            // instructions must issue in the 4 cycles the eight Vector256 FMAs take.
            nuint offset = 0;
            for (nint k = 0; k < dims; k++, offset += (nuint)lanes)
            {
                var c0 = TWidth.Load(ref p0, offset);
                var c1 = TWidth.Load(ref p1, offset);
                var b0 = TWidth.Broadcast(Unsafe.Add(ref x0, k));
                var b1 = TWidth.Broadcast(Unsafe.Add(ref x1, k));
                var b2 = TWidth.Broadcast(Unsafe.Add(ref x2, k));
                var b3 = TWidth.Broadcast(Unsafe.Add(ref x3, k));
                a00 = TWidth.MultiplyAdd(b0, c0, a00); a01 = TWidth.MultiplyAdd(b0, c1, a01);
                a10 = TWidth.MultiplyAdd(b1, c0, a10); a11 = TWidth.MultiplyAdd(b1, c1, a11);
                a20 = TWidth.MultiplyAdd(b2, c0, a20); a21 = TWidth.MultiplyAdd(b2, c1, a21);
                a30 = TWidth.MultiplyAdd(b3, c0, a30); a31 = TWidth.MultiplyAdd(b3, c1, a31);
            }
            var cn0 = TWidth.Load(ref columnNorms, (nuint)j);
            var cn1 = TWidth.Load(ref columnNorms, (nuint)(j + lanes));
            ref T o = ref Unsafe.Add(ref output, j);
            Store<TWidth, TVector, T>(ref o, norm0, cn0, cn1, a00, a01);
            Store<TWidth, TVector, T>(ref Unsafe.Add(ref o, stride), norm1, cn0, cn1, a10, a11);
            Store<TWidth, TVector, T>(ref Unsafe.Add(ref o, 2 * stride), norm2, cn0, cn1, a20, a21);
            Store<TWidth, TVector, T>(ref Unsafe.Add(ref o, 3 * stride), norm3, cn0, cn1, a30, a31);
        }
    }

    /// <summary>|q|^2 + |c|^2 - 2 q.c, clamped at 0, for two vectors of columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TWidth, TVector, T>(ref T destination, TVector queryNorm, TVector norms0, TVector norms1, TVector dot0, TVector dot1)
        where TWidth : struct, IVectorWidth<TVector, T> where TVector : struct where T : unmanaged, IFloatingPointIeee754<T>
    {
        var minusTwo = TWidth.Broadcast(T.CreateTruncating(-2));
        TWidth.Store(TWidth.ClampedAtZero(TWidth.MultiplyAdd(minusTwo, dot0, TWidth.Add(queryNorm, norms0))), ref destination, 0);
        TWidth.Store(TWidth.ClampedAtZero(TWidth.MultiplyAdd(minusTwo, dot1, TWidth.Add(queryNorm, norms1))), ref destination, (nuint)TWidth.Count);
    }
}

/// <summary>
/// The vector operations of <see cref="DistanceKernel"/>, for one vector width: the kernel is written once and compiled
/// for each width (the JIT specialises generic code over structs and inlines these).
/// </summary>
internal interface IVectorWidth<TVector, T> where TVector : struct where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract int Count { get; }
    static abstract TVector Broadcast(T value);
    static abstract TVector Load(ref T source, nuint offset);
    /// <summary>Count float32 values as T (widened where T is float64).</summary>
    static abstract TVector Widen(ref float source, nuint offset);
    static abstract void Store(TVector value, ref T destination, nuint offset);
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector addend);
    static abstract TVector Add(TVector a, TVector b);
    /// <summary>The sum of the lanes.</summary>
    static abstract T Sum(TVector v);
    /// <summary>max(v, 0) by one vmaxps/vmaxpd (the values are never NaN).</summary>
    static abstract TVector ClampedAtZero(TVector v);
}

internal readonly struct Width256<T> : IVectorWidth<Vector256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Broadcast(T value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(ref T source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Widen(ref float source, nuint offset) => typeof(T) == typeof(double)
        ? Vector256.WidenLower(Vector128.LoadUnsafe(ref source, offset).ToVector256Unsafe()).As<double, T>()
        : Vector256.LoadUnsafe(ref source, offset).As<float, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> addend) => Simd.MultiplyAdd(a, b, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> ClampedAtZero(Vector256<T> v) => Vector256.MaxNative(v, Vector256<T>.Zero);
}

internal readonly struct Width512<T> : IVectorWidth<Vector512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Broadcast(T value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(ref T source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Widen(ref float source, nuint offset) => typeof(T) == typeof(double)
        ? Vector512.WidenLower(Vector256.LoadUnsafe(ref source, offset).ToVector512Unsafe()).As<double, T>()
        : Vector512.LoadUnsafe(ref source, offset).As<float, T>();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> addend) => Simd.MultiplyAdd(a, b, addend);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> ClampedAtZero(Vector512<T> v) => Vector512.MaxNative(v, Vector512<T>.Zero);
}
