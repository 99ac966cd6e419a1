using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>How a pass treats the pair (i, i) when the queries are the training rows themselves.</summary>
internal enum DiagonalRule
{
    /// <summary>The queries are other rows: no pair is special.</summary>
    None,

    /// <summary>Leave (i, i) out (spreading zeroes the diagonal of W).</summary>
    Exclude,

    /// <summary>Keep (i, i) with r = 0 exactly (scikit-learn sets the diagonal distance to 0).</summary>
    Zero,
}

/// <summary>
/// Squared distances of the first rows of the training set to every training row, kept between passes
/// when the memory budget allows (DESIGN.md: cache W within a budget). Filled by the first pass.
/// </summary>
internal sealed class DistanceCache<T> where T : unmanaged
{
    private readonly T[][] _rows;

    public DistanceCache(int cachedRows, int columns)
    {
        // One array per row: the whole cache can exceed the 2^31 elements of a single array.
        _rows = new T[cachedRows][];
        for (int i = 0; i < cachedRows; i++) _rows[i] = new T[columns];
    }

    public int CachedRows => _rows.Length;
    public bool Filled { get; set; }

    public Span<T> Row(int row, int firstColumn, int columns) => _rows[row].AsSpan(firstColumn, columns);
}

/// <summary>
/// The tiled rbf pass that every rbf stage is made of (degrees, one spreading or propagation step,
/// inductive prediction). For each query row q it computes, without ever holding more than a
/// 4 x tile block of pairs,
/// <code>
///   b_qj   = v_j - (gamma r_qj + s_q + s_j)   (-inf where gamma r_qj exceeds the cut or the pair is excluded)
///   h_q    = max_j b_qj                       (kept online, tile by tile, as FlashAttention does)
///   acc_q  = sum_j exp(b_qj - h_q) G_j        (accumulated in float64)
/// </code>
/// so that <c>sum_j exp(b_qj) G_j = exp(h_q) acc_q</c> is known even where every term underflows T.
/// The shifts s (half the row maxima of the degree pass, for spreading) keep the bracket small, and
/// exact for integer-valued features, before the column offsets v are added. The weights are computed in
/// T; G and the sums are float64 so that sklearn's L1 convergence test over all n x c entries is not
/// drowned in float32 summation noise.
/// </summary>
internal sealed class RbfPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PackedRows<T> _columns;
    private readonly T _gamma;
    private readonly T _cut;
    private readonly int _rowTile;
    private readonly int _columnTile;

    /// <param name="columns">The training rows.</param>
    /// <param name="gamma">The rbf gamma.</param>
    /// <param name="cut">Exponents gamma*r above this count as zero affinity (+inf: no cut).</param>
    /// <param name="rowTile">Query rows per parallel work item.</param>
    /// <param name="columnTile">Columns per tile (rounded up to two panels).</param>
    public RbfPass(PackedRows<T> columns, double gamma, double cut, int rowTile, int columnTile)
    {
        _columns = columns;
        _gamma = T.CreateTruncating(gamma);
        _cut = T.CreateTruncating(cut);
        int step = Vector256<T>.Count * PackedRows<T>.PanelsPerStep;
        _rowTile = Math.Max(1, rowTile);
        _columnTile = Math.Max(step, (columnTile + step - 1) / step * step);
    }

    public PackedRows<T> Columns => _columns;

    /// <summary>The per-pass inputs that vary with the stage.</summary>
    /// <param name="Queries">Query rows (row-major, centred like the columns) and their squared norms.</param>
    /// <param name="Diagonal">How the pair (q, q) is treated when the queries are the training rows.</param>
    /// <param name="Shifts">s_j per padded column, also used for the query rows (fit only); null: zero.</param>
    /// <param name="ColumnOffsets">v_j per padded column; -inf leaves the column out.</param>
    /// <param name="G">One row of <paramref name="Width"/> float64 values per padded column.</param>
    /// <param name="Width">Row width of G and of the sums, a multiple of 4.</param>
    public readonly record struct Inputs(T[] Queries, T[] QueryNorms, int QueryRows, DiagonalRule Diagonal, T[]? Shifts,
        T[] ColumnOffsets, double[] G, int Width);

    /// <summary>Runs the pass, writing h_q into <paramref name="maxima"/> and acc_q into <paramref name="sums"/>.</summary>
    /// <param name="cache">Distances of the first training rows (only when the queries are the training rows).</param>
    public void Run(in Inputs inputs, T[] maxima, double[] sums, DistanceCache<T>? cache, CancellationToken cancellation)
    {
        var args = inputs;
        int blocks = (args.QueryRows + _rowTile - 1) / _rowTile;
        var parallel = new ParallelOptions { CancellationToken = cancellation };
        Parallel.For(0, blocks, parallel,
            () => new T[DistanceKernel.QueryRowsPerStep * _columnTile],
            (block, _, exponents) =>
            {
                int first = block * _rowTile;
                int count = Math.Min(_rowTile, args.QueryRows - first);
                for (int group = 0; group < count; group += DistanceKernel.QueryRowsPerStep)
                {
                    int rows = Math.Min(DistanceKernel.QueryRowsPerStep, count - group);
                    RunGroup(args, first + group, rows, maxima, sums, cache, exponents);
                }
                return exponents;
            },
            _ => { });
        if (cache is not null) cache.Filled = true;
    }

    /// <summary>Up to four query rows against every column, tile by tile.</summary>
    private void RunGroup(in Inputs args, int first, int rows, T[] maxima, double[] sums, DistanceCache<T>? cache, T[] scratch)
    {
        int padded = _columns.PaddedRows;
        int stride = _columnTile;
        int width = args.Width;
        var exponents = scratch.AsSpan();
        Span<T> rowMax = stackalloc T[DistanceKernel.QueryRowsPerStep];
        rowMax.Fill(T.NegativeInfinity);
        for (int r = 0; r < rows; r++) sums.AsSpan((first + r) * width, width).Clear();
        bool cached = cache is not null && first + rows <= cache.CachedRows;

        for (int tileStart = 0; tileStart < padded; tileStart += stride)
        {
            int tileColumns = Math.Min(stride, padded - tileStart);
            if (cached && cache!.Filled)
            {
                for (int r = 0; r < rows; r++)
                    cache.Row(first + r, tileStart, tileColumns).CopyTo(exponents.Slice(r * stride));
            }
            else
            {
                DistanceKernel.SquaredDistances(args.Queries, args.QueryNorms, first, rows, _columns, tileStart, tileColumns, exponents, stride);
                if (cached)
                    for (int r = 0; r < rows; r++)
                        exponents.Slice(r * stride, tileColumns).CopyTo(cache!.Row(first + r, tileStart, tileColumns));
            }

            for (int r = 0; r < rows; r++)
            {
                int query = first + r;
                var tile = exponents.Slice(r * stride, tileColumns);
                T rowShift = args.Shifts is null ? T.Zero : args.Shifts[query];
                var columnShifts = args.Shifts is null ? ReadOnlySpan<T>.Empty : args.Shifts.AsSpan(tileStart, tileColumns);
                T tileMax = ToExponents(tile, rowShift, columnShifts, args.ColumnOffsets.AsSpan(tileStart, tileColumns));
                if (args.Diagonal != DiagonalRule.None && query >= tileStart && query < tileStart + tileColumns)
                {
                    // r_qq = 0 exactly (scikit-learn zeroes the diagonal distance), so b_qq = v_q - 2 s_q.
                    tile[query - tileStart] = args.Diagonal == DiagonalRule.Exclude
                        ? T.NegativeInfinity
                        : args.ColumnOffsets[query] - (rowShift + rowShift);
                    tileMax = MaxOf(tile);
                }
                if (T.IsNegativeInfinity(tileMax)) continue;
                var accumulator = sums.AsSpan(query * width, width);
                if (tileMax > rowMax[r])
                {
                    if (!T.IsNegativeInfinity(rowMax[r])) Scale(accumulator, Math.Exp(double.CreateTruncating(rowMax[r] - tileMax)));
                    rowMax[r] = tileMax;
                }
                Accumulate(tile, rowMax[r], args.G.AsSpan(tileStart * width, tileColumns * width), width, accumulator);
            }
        }
        for (int r = 0; r < rows; r++) maxima[first + r] = rowMax[r];
    }

    /// <summary>
    /// Turns squared distances into exponents b = v - ((gamma r + s_q) + s_j), cut ones to -inf; returns the maximum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe T ToExponents(Span<T> tile, T rowShift, ReadOnlySpan<T> columnShifts, ReadOnlySpan<T> offsets)
    {
        int lanes = Vector256<T>.Count;
        var gamma = Vector256.Create(_gamma);
        var cut = Vector256.Create(_cut);
        var shift = Vector256.Create(rowShift);
        var negativeInfinity = Vector256.Create(T.NegativeInfinity);
        var max = negativeInfinity;
        bool shifted = !columnShifts.IsEmpty;
        fixed (T* t = tile)
        fixed (T* s = columnShifts)
        fixed (T* v = offsets)
        {
            for (int j = 0; j < tile.Length; j += lanes)
            {
                var scaled = gamma * Vector256.Load(t + j);
                var bracket = shifted ? scaled + shift + Vector256.Load(s + j) : scaled;
                var exponent = Vector256.Load(v + j) - bracket;
                exponent = Vector256.ConditionalSelect(Vector256.GreaterThan(scaled, cut), negativeInfinity, exponent);
                exponent.Store(t + j);
                max = Vector256.Max(max, exponent);
            }
        }
        return Simd.HorizontalMax(max);
    }

    private static T MaxOf(ReadOnlySpan<T> values)
    {
        T max = T.NegativeInfinity;
        foreach (var value in values) max = T.Max(max, value);
        return max;
    }

    private static void Scale(Span<double> values, double factor)
    {
        for (int k = 0; k < values.Length; k++) values[k] *= factor;
    }

    /// <summary>acc += sum_j exp(b_j - h) G_j over one tile; the weights in T, the sum in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Accumulate(Span<T> exponents, T rowMax, ReadOnlySpan<double> g, int width, Span<double> accumulator)
    {
        int lanes = Vector256<T>.Count;
        var shift = Vector256.Create(rowMax);
        fixed (T* e = exponents)
        {
            for (int j = 0; j < exponents.Length; j += lanes)
                Simd.Exp(Vector256.Load(e + j) - shift).Store(e + j);
        }
        int doubleLanes = Vector256<double>.Count;
        fixed (T* e = exponents)
        fixed (double* gRows = g)
        fixed (double* acc = accumulator)
        {
            for (int k = 0; k < width; k += doubleLanes)
            {
                var sum = Vector256.Load(acc + k);
                for (int j = 0; j < exponents.Length; j++)
                {
                    double weight = double.CreateTruncating(e[j]);
                    if (weight == 0) continue;
                    sum = Vector256.FusedMultiplyAdd(Vector256.Create(weight), Vector256.Load(gRows + (long)j * width + k), sum);
                }
                sum.Store(acc + k);
            }
        }
    }
}
