using System.Runtime.InteropServices;
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
/// when the memory budget allows (DESIGN.md: cache W within a budget), tile by tile as passes compute them.
/// The block is native memory backed by transparent huge pages where Linux offers them: faulting in a
/// gigabyte of 4 KiB pages costs seconds on a virtual machine, of 2 MiB pages a fraction of that.
/// </summary>
internal sealed unsafe class DistanceCache<T> : IDisposable where T : unmanaged
{
    private const nuint HugePage = 2 << 20;
    private readonly int _columns;
    private T* _values;

    private readonly bool[] _filled;
    private readonly int _tiles;

    public DistanceCache(int cachedRows, int columns, int tiles)
    {
        CachedRows = cachedRows;
        _columns = columns;
        _tiles = tiles;
        _filled = new bool[(long)cachedRows * tiles];
        nuint bytes = (nuint)cachedRows * (nuint)columns * (nuint)sizeof(T);
        bytes = (bytes + HugePage - 1) / HugePage * HugePage;
        _values = (T*)NativeMemory.AlignedAlloc(bytes, HugePage);
        if (OperatingSystem.IsLinux()) _ = NativeMethods.AdviseHugePages((nint)_values, bytes);
        GC.AddMemoryPressure((long)bytes);
        Bytes = (long)bytes;
    }

    public int CachedRows { get; }
    public long Bytes { get; }

    /// <summary>Whether the row's distances to the tile were computed by an earlier pass (pruned tiles never are).</summary>
    public bool IsFilled(int row, int tile) => _filled[(long)row * _tiles + tile];

    public void MarkFilled(int row, int tile) => _filled[(long)row * _tiles + tile] = true;

    public Span<T> Row(int row, int firstColumn, int columns)
    {
        ObjectDisposedException.ThrowIf(_values == null, this);
        if ((uint)row >= (uint)CachedRows || firstColumn < 0 || columns < 0 || firstColumn + columns > _columns)
            throw new ArgumentOutOfRangeException(nameof(row));
        return new Span<T>(_values + (long)row * _columns + firstColumn, columns);
    }

    public void Dispose()
    {
        if (_values == null) return;
        NativeMemory.AlignedFree(_values);
        _values = null;
        GC.RemoveMemoryPressure(Bytes);
        GC.SuppressFinalize(this);
    }

    ~DistanceCache() => Dispose();
}

internal static partial class NativeMethods
{
    private const int AdviseHugePage = 14; // MADV_HUGEPAGE

    /// <summary>Asks Linux to back the range with transparent huge pages; returns 0 on success.</summary>
    public static int AdviseHugePages(nint address, nuint length) => Madvise(address, length, AdviseHugePage);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
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
    private readonly TileBounds<T> _bounds;

    /// <summary>
    /// A tile is skipped for a row when every one of its terms is below exp(-PruneMargin) (about 1e-26) of
    /// the row's largest term so far: far below what float32 keeps and what float64 parity (1e-9) can see.
    /// </summary>
    public const double PruneMargin = 60;

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
        _rowTile = Math.Max(1, rowTile);
        _columnTile = PackedRows<T>.RoundTile(columnTile);
        _bounds = new TileBounds<T>(columns, _columnTile);
    }

    public PackedRows<T> Columns => _columns;

    /// <summary>Column tiles per row (the distance cache keeps one fill flag per row and tile).</summary>
    public int Tiles => _bounds.Tiles;

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
        var tileCeilings = TileCeilings(args);
        long total = 0, skipped = 0;
        int blocks = (args.QueryRows + _rowTile - 1) / _rowTile;
        var parallel = new ParallelOptions { CancellationToken = cancellation };
        Parallel.For(0, blocks, parallel,
            () => new Scratch(_columnTile, args.Width, _rowTile, _bounds),
            (block, _, scratch) =>
            {
                int first = block * _rowTile;
                int count = Math.Min(_rowTile, args.QueryRows - first);
                maxima.AsSpan(first, count).Fill(T.NegativeInfinity);
                sums.AsSpan(first * args.Width, count * args.Width).Clear();
                var lowerBounds = _bounds.LowerBounds(args.Queries, args.QueryNorms, first, count, double.CreateTruncating(_gamma), scratch.Bounds);
                var order = _bounds.NearestFirst(lowerBounds, count, scratch.Bounds);
                // Tile-major within the block: a tile's panels and G rows (about 180 KiB for 64 features
                // and 10 classes) stay in L2 while every row group of the block goes over them. The nearest
                // tiles come first, so that the row maxima are high before the far tiles are bounded.
                foreach (int tile in order)
                    for (int group = 0; group < count; group += DistanceKernel.QueryRowsPerStep)
                    {
                        int rows = Math.Min(DistanceKernel.QueryRowsPerStep, count - group);
                        scratch.GroupTiles++;
                        if (CanSkip(args, first + group, rows, tile, lowerBounds.Slice(group * _bounds.Tiles), tileCeilings, maxima))
                        {
                            scratch.SkippedGroupTiles++;
                            continue;
                        }
                        RunGroupOnTile(args, first + group, rows, tile, maxima, sums, cache, scratch);
                    }
                return scratch;
            },
            scratch =>
            {
                Interlocked.Add(ref total, scratch.GroupTiles);
                Interlocked.Add(ref skipped, scratch.SkippedGroupTiles);
            });
        LastPassSkippedFraction = total == 0 ? 0 : (double)skipped / total;
    }

    /// <summary>The fraction of (four-row group, tile) pairs the last pass skipped by their bounds.</summary>
    public double LastPassSkippedFraction { get; private set; }

    /// <summary>Per tile, max_j (v_j - s_j): no term of the tile can exceed it minus gamma r_ij + s_q.</summary>
    private double[] TileCeilings(in Inputs args)
    {
        var ceilings = new double[_bounds.Tiles];
        for (int tile = 0; tile < _bounds.Tiles; tile++)
        {
            double ceiling = double.NegativeInfinity;
            int end = Math.Min(_columns.PaddedRows, (tile + 1) * _columnTile);
            for (int j = tile * _columnTile; j < end; j++)
            {
                T shift = args.Shifts is null ? T.Zero : args.Shifts[j];
                ceiling = Math.Max(ceiling, double.CreateTruncating(args.ColumnOffsets[j]) - double.CreateTruncating(shift));
            }
            ceilings[tile] = ceiling;
        }
        return ceilings;
    }

    /// <summary>
    /// True when, for every row of the group, the whole tile is cut (gamma r beyond the cut) or every term
    /// is below exp(-PruneMargin) of the row's running maximum.
    /// </summary>
    private bool CanSkip(in Inputs args, int first, int rows, int tile, ReadOnlySpan<double> lowerBounds, double[] tileCeilings, T[] maxima)
    {
        double cut = double.CreateTruncating(_cut);
        for (int r = 0; r < rows; r++)
        {
            double bound = lowerBounds[r * _bounds.Tiles + tile];
            if (bound > cut) continue;
            double rowShift = args.Shifts is null ? 0 : double.CreateTruncating(args.Shifts[first + r]);
            double ceiling = tileCeilings[tile] - bound - rowShift;
            if (ceiling >= double.CreateTruncating(maxima[first + r]) - PruneMargin) return false;
        }
        return true;
    }

    private sealed class Scratch(int columnTile, int width, int rowTile, TileBounds<T> bounds)
    {
        /// <summary>The block's distance bounds to every tile.</summary>
        public readonly TileBounds<T>.Scratch Bounds = bounds.CreateScratch(rowTile);

        public long GroupTiles;
        public long SkippedGroupTiles;

        /// <summary>Four rows of squared distances, then of exponents.</summary>
        public readonly T[] Tile = new T[DistanceKernel.QueryRowsPerStep * columnTile];

        /// <summary>Four rows of weights in float64.</summary>
        public readonly double[] Weights = new double[DistanceKernel.QueryRowsPerStep * columnTile];

        /// <summary>Accumulator rows for the missing rows of a short group (their weights are zero).</summary>
        public readonly double[] Spare = new double[width];
    }

    /// <summary>Up to four query rows against one tile, updating their running maxima and sums.</summary>
    private void RunGroupOnTile(in Inputs args, int first, int rows, int tile, T[] maxima, double[] sums,
        DistanceCache<T>? cache, Scratch scratch)
    {
        int padded = _columns.PaddedRows;
        int stride = _columnTile;
        int width = args.Width;
        int tileStart = tile * stride;
        var exponents = scratch.Tile.AsSpan();
        var rowMax = maxima.AsSpan(first, rows);
        bool cached = cache is not null && first + rows <= cache.CachedRows;
        int tileColumns = Math.Min(stride, padded - tileStart);
        bool fromCache = cached;
        for (int r = 0; r < rows && fromCache; r++) fromCache = cache!.IsFilled(first + r, tile);
        if (!fromCache)
        {
            DistanceKernel.SquaredDistances(args.Queries, args.QueryNorms, first, rows, _columns, tileStart, tileColumns, exponents, stride);
            if (cached)
                for (int r = 0; r < rows; r++)
                {
                    exponents.Slice(r * stride, tileColumns).CopyTo(cache!.Row(first + r, tileStart, tileColumns));
                    cache.MarkFilled(first + r, tile);
                }
        }

        var weights = scratch.Weights.AsSpan();
        for (int r = 0; r < DistanceKernel.QueryRowsPerStep; r++)
        {
            int query = first + r;
            var rowWeights = weights.Slice(r * stride, tileColumns);
            if (r >= rows)
            {
                rowWeights.Clear();
                continue;
            }
            var row = exponents.Slice(r * stride, tileColumns);
            ReadOnlySpan<T> distances = fromCache ? cache!.Row(query, tileStart, tileColumns) : row;
            T rowShift = args.Shifts is null ? T.Zero : args.Shifts[query];
            var columnShifts = args.Shifts is null ? ReadOnlySpan<T>.Empty : args.Shifts.AsSpan(tileStart, tileColumns);
            T tileMax = ToExponents(distances, row, rowShift, columnShifts, args.ColumnOffsets.AsSpan(tileStart, tileColumns));
            if (args.Diagonal != DiagonalRule.None && query >= tileStart && query < tileStart + tileColumns)
            {
                // r_qq = 0 exactly (scikit-learn zeroes the diagonal distance), so b_qq = v_q - 2 s_q.
                row[query - tileStart] = args.Diagonal == DiagonalRule.Exclude
                    ? T.NegativeInfinity
                    : args.ColumnOffsets[query] - (rowShift + rowShift);
                tileMax = MaxOf(row);
            }
            if (T.IsNegativeInfinity(tileMax))
            {
                rowWeights.Clear();
                continue;
            }
            if (tileMax > rowMax[r])
            {
                if (!T.IsNegativeInfinity(rowMax[r]))
                    Scale(sums.AsSpan(query * width, width), Math.Exp(double.CreateTruncating(rowMax[r] - tileMax)));
                rowMax[r] = tileMax;
            }
            Weigh(row, rowMax[r], rowWeights);
        }
        Accumulate(weights, stride, tileColumns, args.G.AsSpan(tileStart * width, tileColumns * width), width,
            sums.AsSpan(first * width, rows * width), scratch.Spare);
    }

    /// <summary>
    /// Turns squared distances into exponents b = v - ((gamma r + s_q) + s_j), cut ones to -inf; returns the maximum.
    /// <paramref name="distances"/> may be <paramref name="tile"/> itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe T ToExponents(ReadOnlySpan<T> distances, Span<T> tile, T rowShift, ReadOnlySpan<T> columnShifts, ReadOnlySpan<T> offsets)
    {
        int lanes = Vector256<T>.Count;
        var gamma = Vector256.Create(_gamma);
        var cut = Vector256.Create(_cut);
        var shift = Vector256.Create(rowShift);
        var negativeInfinity = Vector256.Create(T.NegativeInfinity);
        var max = negativeInfinity;
        bool shifted = !columnShifts.IsEmpty;
        fixed (T* r = distances)
        fixed (T* t = tile)
        fixed (T* s = columnShifts)
        fixed (T* v = offsets)
        {
            for (int j = 0; j < tile.Length; j += lanes)
            {
                var scaled = gamma * Vector256.Load(r + j);
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

    /// <summary>Weights exp(b_j - h) of one row of a tile, in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Weigh(ReadOnlySpan<T> exponents, T rowMax, Span<double> weights)
    {
        int lanes = Vector256<T>.Count;
        var shift = Vector256.Create(rowMax);
        fixed (T* e = exponents)
        fixed (double* w = weights)
        {
            for (int j = 0; j < exponents.Length; j += lanes)
                Simd.StoreAsDouble(Simd.ExpNonPositive(Vector256.Load(e + j) - shift), w + j);
        }
    }

    /// <summary>
    /// acc_r += sum_j w_rj G_j for the four rows of a group over one tile, in float64. Each G load serves
    /// the four rows, and up to twelve accumulators (4 rows x 3 vectors) stay in registers; there is no
    /// branch on zero weights (cut pairs), which come in no predictable order in shuffled data.
    /// </summary>
    /// <param name="accumulators">The group's rows of sums (rows x width); missing rows use <paramref name="spare"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Accumulate(ReadOnlySpan<double> weights, int stride, int columns, ReadOnlySpan<double> g, int width,
        Span<double> accumulators, double[] spare)
    {
        int rows = accumulators.Length / width;
        fixed (double* w = weights)
        fixed (double* gRows = g)
        fixed (double* sums = accumulators)
        fixed (double* spareSums = spare)
        {
            double* acc0 = sums;
            double* acc1 = rows > 1 ? sums + width : spareSums;
            double* acc2 = rows > 2 ? sums + 2 * width : spareSums;
            double* acc3 = rows > 3 ? sums + 3 * width : spareSums;
            for (int k = 0; k < width; k += 12)
            {
                int vectors = Math.Min(3, (width - k) / 4);
                var a00 = Vector256.Load(acc0 + k); var a10 = Vector256.Load(acc1 + k);
                var a20 = Vector256.Load(acc2 + k); var a30 = Vector256.Load(acc3 + k);
                var a01 = vectors > 1 ? Vector256.Load(acc0 + k + 4) : default; var a11 = vectors > 1 ? Vector256.Load(acc1 + k + 4) : default;
                var a21 = vectors > 1 ? Vector256.Load(acc2 + k + 4) : default; var a31 = vectors > 1 ? Vector256.Load(acc3 + k + 4) : default;
                var a02 = vectors > 2 ? Vector256.Load(acc0 + k + 8) : default; var a12 = vectors > 2 ? Vector256.Load(acc1 + k + 8) : default;
                var a22 = vectors > 2 ? Vector256.Load(acc2 + k + 8) : default; var a32 = vectors > 2 ? Vector256.Load(acc3 + k + 8) : default;
                double* row = gRows + k;
                for (int j = 0; j < columns; j++, row += width)
                {
                    var w0 = Vector256.Create(w[j]);
                    var w1 = Vector256.Create(w[stride + j]);
                    var w2 = Vector256.Create(w[2 * stride + j]);
                    var w3 = Vector256.Create(w[3 * stride + j]);
                    var g0 = Vector256.Load(row);
                    a00 = Vector256.FusedMultiplyAdd(w0, g0, a00); a10 = Vector256.FusedMultiplyAdd(w1, g0, a10);
                    a20 = Vector256.FusedMultiplyAdd(w2, g0, a20); a30 = Vector256.FusedMultiplyAdd(w3, g0, a30);
                    if (vectors > 1)
                    {
                        var g1 = Vector256.Load(row + 4);
                        a01 = Vector256.FusedMultiplyAdd(w0, g1, a01); a11 = Vector256.FusedMultiplyAdd(w1, g1, a11);
                        a21 = Vector256.FusedMultiplyAdd(w2, g1, a21); a31 = Vector256.FusedMultiplyAdd(w3, g1, a31);
                    }
                    if (vectors > 2)
                    {
                        var g2 = Vector256.Load(row + 8);
                        a02 = Vector256.FusedMultiplyAdd(w0, g2, a02); a12 = Vector256.FusedMultiplyAdd(w1, g2, a12);
                        a22 = Vector256.FusedMultiplyAdd(w2, g2, a22); a32 = Vector256.FusedMultiplyAdd(w3, g2, a32);
                    }
                }
                a00.Store(acc0 + k); a10.Store(acc1 + k); a20.Store(acc2 + k); a30.Store(acc3 + k);
                if (vectors > 1) { a01.Store(acc0 + k + 4); a11.Store(acc1 + k + 4); a21.Store(acc2 + k + 4); a31.Store(acc3 + k + 4); }
                if (vectors > 2) { a02.Store(acc0 + k + 8); a12.Store(acc1 + k + 8); a22.Store(acc2 + k + 8); a32.Store(acc3 + k + 8); }
            }
        }
    }
}
