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
///   b_qj   = -gamma r_qj + v_j            (-inf where gamma r_qj exceeds the cut or the pair is excluded)
///   h_q    = max_j b_qj                   (kept online, tile by tile, as FlashAttention does)
///   acc_q  = sum_j exp(b_qj - h_q) G_j
/// </code>
/// so that <c>sum_j exp(b_qj) G_j = exp(h_q) acc_q</c> is known in float32 even where every term underflows.
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

    /// <summary>
    /// Runs the pass for <paramref name="queryRows"/> query rows.
    /// </summary>
    /// <param name="queries">Query rows (row-major, centred like the columns).</param>
    /// <param name="queryNorms">Their squared norms.</param>
    /// <param name="columnOffsets">v_j, one per padded column; -inf leaves the column out.</param>
    /// <param name="g">G, one row of <paramref name="width"/> values per padded column.</param>
    /// <param name="width">Row width of G and of the accumulator (a multiple of the vector width).</param>
    /// <param name="maxima">Output h_q per query row.</param>
    /// <param name="sums">Output acc_q, <paramref name="width"/> values per query row.</param>
    /// <param name="cache">Distances of the first training rows (only when the queries are the training rows).</param>
    public void Run(T[] queries, T[] queryNorms, int queryRows, DiagonalRule diagonal, T[] columnOffsets, T[] g, int width,
        T[] maxima, T[] sums, DistanceCache<T>? cache, CancellationToken cancellation)
    {
        int blocks = (queryRows + _rowTile - 1) / _rowTile;
        var parallel = new ParallelOptions { CancellationToken = cancellation };
        Parallel.For(0, blocks, parallel,
            () => new Scratch(_columnTile),
            (block, _, scratch) =>
            {
                int first = block * _rowTile;
                int count = Math.Min(_rowTile, queryRows - first);
                for (int group = 0; group < count; group += DistanceKernel.QueryRowsPerStep)
                {
                    int rows = Math.Min(DistanceKernel.QueryRowsPerStep, count - group);
                    RunGroup(queries, queryNorms, first + group, rows, diagonal, columnOffsets, g, width, maxima, sums, cache, scratch);
                }
                return scratch;
            },
            _ => { });
        if (cache is not null) cache.Filled = true;
    }

    private sealed class Scratch(int columnTile)
    {
        public readonly T[] Exponents = new T[DistanceKernel.QueryRowsPerStep * columnTile];
    }

    /// <summary>Up to four query rows against every column, tile by tile.</summary>
    private void RunGroup(T[] queries, T[] queryNorms, int first, int rows, DiagonalRule diagonal, T[] columnOffsets,
        T[] g, int width, T[] maxima, T[] sums, DistanceCache<T>? cache, Scratch scratch)
    {
        int padded = _columns.PaddedRows;
        int stride = _columnTile;
        var exponents = scratch.Exponents.AsSpan();
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
                DistanceKernel.SquaredDistances(queries, queryNorms, first, rows, _columns, tileStart, tileColumns, exponents, stride);
                if (cached)
                    for (int r = 0; r < rows; r++)
                        exponents.Slice(r * stride, tileColumns).CopyTo(cache!.Row(first + r, tileStart, tileColumns));
            }

            for (int r = 0; r < rows; r++)
            {
                int query = first + r;
                var tile = exponents.Slice(r * stride, tileColumns);
                T tileMax = ToExponents(tile, columnOffsets.AsSpan(tileStart, tileColumns));
                if (diagonal != DiagonalRule.None && query >= tileStart && query < tileStart + tileColumns)
                {
                    T own = diagonal == DiagonalRule.Exclude ? T.NegativeInfinity : columnOffsets[query];
                    tile[query - tileStart] = own;
                    tileMax = MaxOf(tile);
                }
                if (T.IsNegativeInfinity(tileMax)) continue;
                var accumulator = sums.AsSpan(query * width, width);
                if (tileMax > rowMax[r])
                {
                    if (!T.IsNegativeInfinity(rowMax[r])) Scale(accumulator, T.Exp(rowMax[r] - tileMax));
                    rowMax[r] = tileMax;
                }
                Accumulate(tile, rowMax[r], g.AsSpan(tileStart * width, tileColumns * width), width, accumulator);
            }
        }
        for (int r = 0; r < rows; r++) maxima[first + r] = rowMax[r];
    }

    /// <summary>Turns squared distances into exponents b = -gamma r + v (cut ones to -inf); returns the maximum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe T ToExponents(Span<T> tile, ReadOnlySpan<T> offsets)
    {
        int lanes = Vector256<T>.Count;
        var gamma = Vector256.Create(_gamma);
        var cut = Vector256.Create(_cut);
        var negativeInfinity = Vector256.Create(T.NegativeInfinity);
        var max = negativeInfinity;
        fixed (T* t = tile)
        fixed (T* v = offsets)
        {
            for (int j = 0; j < tile.Length; j += lanes)
            {
                var scaled = gamma * Vector256.Load(t + j);
                var exponent = Vector256.Load(v + j) - scaled;
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

    private static void Scale(Span<T> values, T factor)
    {
        for (int k = 0; k < values.Length; k++) values[k] *= factor;
    }

    /// <summary>acc += sum_j exp(b_j - h) G_j over one tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Accumulate(Span<T> exponents, T rowMax, ReadOnlySpan<T> g, int width, Span<T> accumulator)
    {
        int lanes = Vector256<T>.Count;
        var shift = Vector256.Create(rowMax);
        fixed (T* e = exponents)
        {
            for (int j = 0; j < exponents.Length; j += lanes)
                Simd.Exp(Vector256.Load(e + j) - shift).Store(e + j);
        }
        fixed (T* e = exponents)
        fixed (T* gRows = g)
        fixed (T* acc = accumulator)
        {
            for (int k = 0; k < width; k += lanes)
            {
                var sum = Vector256.Load(acc + k);
                for (int j = 0; j < exponents.Length; j++)
                {
                    T weight = e[j];
                    if (weight == T.Zero) continue;
                    sum = Simd.MultiplyAdd(Vector256.Create(weight), Vector256.Load(gRows + (long)j * width + k), sum);
                }
                sum.Store(acc + k);
            }
        }
    }
}
