using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Rows of a feature matrix laid out for the distance micro-kernel: shifted by the training centre
/// (distances do not change, the norm formula loses fewer digits), row-major for the query side, and
/// transposed into panels of <see cref="Vector256{T}.Count"/> rows for the column side, so one vector
/// load gives one feature of a whole panel. Columns are padded to a whole number of panel pairs with
/// zero rows; the padding is masked by the callers.
/// </summary>
internal sealed class PackedRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public const int PanelsPerStep = 2;

    /// <param name="order">Row p of the packing is row order[p] of <paramref name="features"/> (null: the same order).</param>
    public PackedRows(FeatureMatrix features, double[] centre, int[]? order = null)
    {
        Rows = features.Rows;
        Dims = features.Cols;
        int lanes = Vector256<T>.Count;
        int step = lanes * PanelsPerStep;
        PaddedRows = (Rows + step - 1) / step * step;
        RowMajor = new T[(long)Rows * Dims];
        Norms = new T[PaddedRows];
        Panels = new T[(long)PaddedRows * Dims];
        Parallel.For(0, Rows, i =>
        {
            T norm = T.Zero;
            long rowStart = (long)i * Dims;
            long panelStart = (long)(i / lanes) * Dims * lanes;
            int lane = i % lanes;
            for (int k = 0; k < Dims; k++)
            {
                T value = T.CreateTruncating(features[order?[i] ?? i, k] - centre[k]);
                RowMajor[rowStart + k] = value;
                Panels[panelStart + (long)k * lanes + lane] = value;
                norm = T.FusedMultiplyAdd(value, value, norm);
            }
            Norms[i] = norm;
        });
    }

    public int Rows { get; }
    public int Dims { get; }

    /// <summary>A column tile size rounded up to whole steps of the micro-kernel (two panels).</summary>
    public static int RoundTile(int columnTile)
    {
        int step = Vector256<T>.Count * PanelsPerStep;
        return Math.Max(step, (columnTile + step - 1) / step * step);
    }

    /// <summary>Rows rounded up to a multiple of two panels.</summary>
    public int PaddedRows { get; }

    public T[] RowMajor { get; }
    public T[] Norms { get; }
    public T[] Panels { get; }

    /// <summary>
    /// The centre every packing of this data set uses: the column means rounded to integers, which takes
    /// away large common offsets and keeps integer-valued data (pixels, counts) exact, so that their
    /// float32 distances and exponents are exact too.
    /// </summary>
    public static double[] Centre(FeatureMatrix features)
    {
        var sums = new double[features.Cols];
        for (int i = 0; i < features.Rows; i++)
            for (int k = 0; k < features.Cols; k++)
                sums[k] += features[i, k];
        for (int k = 0; k < sums.Length; k++) sums[k] = Math.Round(sums[k] / Math.Max(1, features.Rows));
        return sums;
    }
}

/// <summary>
/// The register-blocked distance micro-kernel: four query rows against two panels (2 x lanes
/// columns) per step, eight vector accumulators, one FMA per feature per accumulator. Writes the
/// squared distances <c>|q|^2 + |c|^2 - 2 q.c</c>, clamped at 0, into a 4 x tile buffer.
/// </summary>
internal static unsafe class DistanceKernel
{
    public const int QueryRowsPerStep = 4;

    /// <param name="queries">Query rows, row-major.</param>
    /// <param name="queryNorms">Their squared norms.</param>
    /// <param name="firstQuery">Index of the first of the (up to) four query rows.</param>
    /// <param name="queryCount">How many of the four are real (1..4); the missing ones repeat the last.</param>
    /// <param name="columns">The packed column side.</param>
    /// <param name="firstColumn">First column of the tile, a multiple of two panels.</param>
    /// <param name="tileColumns">Columns in the tile, a multiple of two panels.</param>
    /// <param name="output">4 x <paramref name="stride"/> buffer of squared distances.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SquaredDistances<T>(T[] queries, T[] queryNorms, int firstQuery, int queryCount,
        PackedRows<T> columns, int firstColumn, int tileColumns, Span<T> output, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector256<T>.Count;
        int dims = columns.Dims;
        long q0 = (long)firstQuery * dims;
        long q1 = (long)(firstQuery + Math.Min(1, queryCount - 1)) * dims;
        long q2 = (long)(firstQuery + Math.Min(2, queryCount - 1)) * dims;
        long q3 = (long)(firstQuery + Math.Min(3, queryCount - 1)) * dims;
        var n0 = Vector256.Create(queryNorms[firstQuery]);
        var n1 = Vector256.Create(queryNorms[firstQuery + Math.Min(1, queryCount - 1)]);
        var n2 = Vector256.Create(queryNorms[firstQuery + Math.Min(2, queryCount - 1)]);
        var n3 = Vector256.Create(queryNorms[firstQuery + Math.Min(3, queryCount - 1)]);
        var minusTwo = Vector256.Create(T.CreateTruncating(-2));
        fixed (T* q = queries)
        fixed (T* panels = columns.Panels)
        fixed (T* columnNorms = columns.Norms)
        fixed (T* o = output)
        {
            for (int j = 0; j < tileColumns; j += 2 * lanes)
            {
                int column = firstColumn + j;
                T* p0 = panels + (long)(column / lanes) * dims * lanes;
                T* p1 = p0 + (long)dims * lanes;
                Vector256<T> a00 = default, a01 = default, a10 = default, a11 = default;
                Vector256<T> a20 = default, a21 = default, a30 = default, a31 = default;
                for (int k = 0; k < dims; k++)
                {
                    var c0 = Vector256.Load(p0 + (long)k * lanes);
                    var c1 = Vector256.Load(p1 + (long)k * lanes);
                    var x0 = Vector256.Create(q[q0 + k]);
                    var x1 = Vector256.Create(q[q1 + k]);
                    var x2 = Vector256.Create(q[q2 + k]);
                    var x3 = Vector256.Create(q[q3 + k]);
                    a00 = Simd.MultiplyAdd(x0, c0, a00); a01 = Simd.MultiplyAdd(x0, c1, a01);
                    a10 = Simd.MultiplyAdd(x1, c0, a10); a11 = Simd.MultiplyAdd(x1, c1, a11);
                    a20 = Simd.MultiplyAdd(x2, c0, a20); a21 = Simd.MultiplyAdd(x2, c1, a21);
                    a30 = Simd.MultiplyAdd(x3, c0, a30); a31 = Simd.MultiplyAdd(x3, c1, a31);
                }
                var cn0 = Vector256.Load(columnNorms + column);
                var cn1 = Vector256.Load(columnNorms + column + lanes);
                Store(o + j, n0, cn0, cn1, a00, a01, minusTwo, lanes);
                Store(o + stride + j, n1, cn0, cn1, a10, a11, minusTwo, lanes);
                Store(o + 2 * stride + j, n2, cn0, cn1, a20, a21, minusTwo, lanes);
                Store(o + 3 * stride + j, n3, cn0, cn1, a30, a31, minusTwo, lanes);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(T* destination, Vector256<T> queryNorm, Vector256<T> norms0, Vector256<T> norms1,
        Vector256<T> dot0, Vector256<T> dot1, Vector256<T> minusTwo, int lanes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r0 = Simd.MultiplyAdd(minusTwo, dot0, queryNorm + norms0);
        var r1 = Simd.MultiplyAdd(minusTwo, dot1, queryNorm + norms1);
        Vector256.MaxNative(r0, Vector256<T>.Zero).Store(destination);
        Vector256.MaxNative(r1, Vector256<T>.Zero).Store(destination + lanes);
    }
}
