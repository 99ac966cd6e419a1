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
/// What the rbf passes over the training rows learn and later passes reuse, within the memory budget: for every (row, tile) a ceiling on the tile's largest exponent
/// -gamma r_qj, first from the distance bound of <see cref="TileBounds{T}"/>, then, once a pass has computed
/// the tile, the exact m_qt = max_{j in t} (-gamma r_qj), which bounds the tile's terms far more tightly in
/// many dimensions; each row block's tile order; and, while the room lasts, the (four-row group, tile) blocks
/// of unit weights u_qj = exp(-gamma r_qj - m_qt) that a pass computes a second time. None depends on a pass's
/// column offsets or shifts, so later passes read them instead of computing bounds, distances and
/// exponentials. The blocks are <see cref="NativeBlocks{T}"/>.
/// </summary>
internal sealed unsafe class WeightCache<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private const int ComputedOnce = -1;
    private readonly int _tiles;
    private readonly int _blockValues;
    private readonly long _capacity;
    /// <summary>Per (group, tile): 0 never computed, <see cref="ComputedOnce"/>, or the cached block's slot + 1.</summary>
    private readonly int[] _slots;
    private readonly T[] _ceilings;
    private readonly int[]?[] _tileOrders;
    private long _used;
    private readonly NativeBlocks<T>? _blocks;

    /// <param name="rowBlocks">Row blocks of the passes.</param>
    /// <param name="groups">Four-row groups of the training rows (see <see cref="RbfPass{T}.CreateCache"/>).</param>
    /// <param name="tiles">Column tiles per row.</param>
    /// <param name="stride">Columns per tile.</param>
    /// <param name="bytes">Memory for the tables and the blocks.</param>
    public static WeightCache<T>? Create(int rowBlocks, int groups, int tiles, int stride, long bytes)
    {
        long ceilings = (long)groups * tiles * DistanceKernel.QueryRowsPerStep;
        long tableBytes = (long)groups * tiles * sizeof(int) + ceilings * sizeof(T) + (long)rowBlocks * tiles * sizeof(int);
        long blockBytes = (long)DistanceKernel.QueryRowsPerStep * stride * sizeof(T);
        // The tables must leave most of the budget to what they save (and fit in arrays).
        if (tableBytes > bytes / 4 || ceilings > Array.MaxLength) return null;
        long blocks = Math.Min(Math.Min((bytes - tableBytes) / blockBytes, (long)groups * tiles), int.MaxValue - 1);
        return new WeightCache<T>(rowBlocks, groups, tiles, stride, blocks);
    }

    private WeightCache(int rowBlocks, int groups, int tiles, int stride, long capacity)
    {
        _tiles = tiles;
        _capacity = capacity;
        _blockValues = DistanceKernel.QueryRowsPerStep * stride;
        _slots = new int[(long)groups * tiles];
        _ceilings = new T[(long)groups * tiles * DistanceKernel.QueryRowsPerStep];
        _ceilings.AsSpan().Fill(T.NegativeInfinity);
        _tileOrders = new int[]?[rowBlocks];
        if (capacity > 0) _blocks = new NativeBlocks<T>(capacity * _blockValues);
    }

    /// <summary>The row block's tiles in the order passes take them; null until a pass has gone over the block.</summary>
    public int[]? TileOrder(int rowBlock) => _tileOrders[rowBlock];

    /// <summary>Records a row block's tile order; its rows' <see cref="Ceilings"/> must be set.</summary>
    public void SetTileOrder(int rowBlock, int[] order) => _tileOrders[rowBlock] = order;

    /// <summary>
    /// The ceilings on the largest exponent of the group's four rows on the tile (-inf: every pair of the tile is
    /// out, and for the missing rows of a short group). Group-major, so that the pruning test, which reads millions
    /// a pass, takes the four in one load.
    /// </summary>
    public Span<T> Ceilings(int group, int tile) =>
        _ceilings.AsSpan((int)(((long)group * _tiles + tile) * DistanceKernel.QueryRowsPerStep), DistanceKernel.QueryRowsPerStep);

    /// <summary>The group's unit weights on the tile (four rows of <c>stride</c>), if cached.</summary>
    public bool TryGet(int group, int tile, out ReadOnlySpan<T> weights)
    {
        int slot = _slots[(long)group * _tiles + tile] - 1;
        weights = slot < 0 ? default : Block(slot);
        return slot >= 0;
    }

    /// <summary>
    /// Notes that a pass computed the group's weights on the tile, keeping them while there is room if this is
    /// the second time: the first pass computes many tiles that the exact maxima it leaves then let every later
    /// pass skip. Only the thread that owns the group writes its slots.
    /// </summary>
    public void Computed(int group, int tile, ReadOnlySpan<T> weights)
    {
        ref int state = ref _slots[(long)group * _tiles + tile];
        if (state == 0)
        {
            state = ComputedOnce;
            return;
        }
        if (state != ComputedOnce || Interlocked.Read(ref _used) >= _capacity) return;
        long slot = Interlocked.Increment(ref _used) - 1;
        if (slot >= _capacity) return;
        weights.CopyTo(Block(slot));
        state = (int)slot + 1;
    }

    /// <summary>A cached block (slots exist only where the capacity is above zero).</summary>
    private Span<T> Block(long slot) => new(_blocks!.Start + slot * _blockValues, _blockValues);

    public void Dispose() => _blocks?.Dispose();
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
/// exact for integer-valued features, before the column offsets v are added.
/// <para>
/// A term is split into a part that is the same in every pass and a part that is the same for every row:
/// <c>exp(b_qj) = exp(c_t + m_qt - s_q) u_qj e_j</c> with the unit weight <c>u_qj = exp(-gamma r_qj - m_qt)</c>
/// (T, at most 1, m_qt its row's maximum exponent on tile t), the column factor
/// <c>e_j = exp(v_j - s_j - c_t)</c> (float64, at most 1, c_t the tile's largest v_j - s_j). The unit weights
/// and their maxima m are cached (<see cref="WeightCache{T}"/>): m lets later passes skip the tiles whose terms
/// are all negligible, and a cached block costs a pass a multiplication and the accumulation per pair. Where a
/// unit weight underflowed T but its column factor could still make its term count (a row's largest u e on the
/// tile below <see cref="FactoredFloor"/>, within the margin of its running maximum), the row's exponents are
/// formed in full instead. G and the sums are float64 so that sklearn's L1 convergence test over all n x c entries
/// is not drowned in float32 summation noise.
/// </para>
/// </summary>
internal sealed class RbfPass<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly PackedRows<T> _columns;
    private readonly T _gamma;
    private readonly T _cut;
    private readonly int _rowTile;
    private readonly int _columnTile;
    /// <summary>Built on first use: a fit on the symmetric store uses the pass only to predict new rows.</summary>
    private readonly Lazy<TileBounds<T>> _bounds;

    /// <summary>
    /// A tile is skipped for a row when every one of its terms is below exp(-PruneMargin) (about 1e-26) of
    /// the row's largest term so far: far below what float32 keeps and what float64 parity (1e-9) can see.
    /// </summary>
    public const double PruneMargin = 60;

    /// <summary>
    /// The factored form is used for a row of a tile when its largest u e is at least this: a unit weight that
    /// underflowed (below T's smallest normal number) then weighs below exp(-PruneMargin) of that term.
    /// </summary>
    internal static readonly double FactoredFloor = Math.Exp(PruneMargin + Simd.LogSmallestNormal<T>());

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
        _columnTile = columns.RoundTile(columnTile);
        int tile = _columnTile;
        Tiles = (columns.PaddedRows + tile - 1) / tile;
        _bounds = new Lazy<TileBounds<T>>(() => new TileBounds<T>(columns, tile));
    }

    public PackedRows<T> Columns => _columns;

    /// <summary>Column tiles per row.</summary>
    public int Tiles { get; }

    /// <summary>Columns per tile.</summary>
    public int ColumnTile => _columnTile;

    private int GroupsPerBlock => (_rowTile + DistanceKernel.QueryRowsPerStep - 1) / DistanceKernel.QueryRowsPerStep;

    /// <summary>The index of the four-row group that starts at <paramref name="row"/> (groups never straddle row blocks).</summary>
    private int GroupIndex(int row) => row / _rowTile * GroupsPerBlock + row % _rowTile / DistanceKernel.QueryRowsPerStep;

    /// <summary>A cache of this pass's tile maxima and unit weights over the training rows within
    /// <paramref name="bytes"/> (null: too little).</summary>
    public WeightCache<T>? CreateCache(long bytes)
    {
        int rowBlocks = (_columns.Rows + _rowTile - 1) / _rowTile;
        return WeightCache<T>.Create(rowBlocks, rowBlocks * GroupsPerBlock, Tiles, _columnTile, bytes);
    }

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
    /// <param name="cache">Unit weights of the training rows (only when the queries are the training rows, always
    /// with the same diagonal rule).</param>
    public void Run(in Inputs inputs, T[] maxima, double[] sums, WeightCache<T>? cache, CancellationToken cancellation)
    {
        var args = inputs;
        var tileCeilings = TileCeilings(args);
        var columnFactors = ColumnFactors(args, tileCeilings);
        long total = 0, skipped = 0;
        int blocks = (args.QueryRows + _rowTile - 1) / _rowTile;
        var parallel = new ParallelOptions { CancellationToken = cancellation };
        Parallel.For(0, blocks, parallel,
            () => new Scratch(_columnTile, args.Width, _rowTile, _bounds.Value),
            (block, _, scratch) =>
            {
                int first = block * _rowTile;
                int count = Math.Min(_rowTile, args.QueryRows - first);
                maxima.AsSpan(first, count).Fill(T.NegativeInfinity);
                sums.AsSpan(first * args.Width, count * args.Width).Clear();
                var order = cache?.TileOrder(block);
                var lowerBounds = Span<double>.Empty;
                if (order is null)
                {
                    lowerBounds = _bounds.Value.LowerBounds(args.Queries, args.QueryNorms, first, count, double.CreateTruncating(_gamma), scratch.Bounds);
                    order = _bounds.Value.NearestFirst(lowerBounds, count, scratch.Bounds);
                    if (cache is not null)
                    {
                        SetCeilings(cache, first, count, lowerBounds);
                        order = order.ToArray();
                        cache.SetTileOrder(block, order);
                    }
                }
                // Tile-major within the block: a tile's panels and G rows (about 180 KiB for 64 features
                // and 10 classes) stay in L2 while every row group of the block goes over them. The nearest
                // tiles come first, so that the row maxima are high before the far tiles are bounded.
                foreach (int tile in order)
                    for (int offset = 0, group = block * GroupsPerBlock; offset < count; offset += DistanceKernel.QueryRowsPerStep, group++)
                    {
                        int rows = Math.Min(DistanceKernel.QueryRowsPerStep, count - offset);
                        scratch.GroupTiles++;
                        bool skip = cache is null
                            ? CanSkip(args, first + offset, rows, tile, lowerBounds.Slice(offset * Tiles), default, tileCeilings, maxima)
                            : rows == DistanceKernel.QueryRowsPerStep
                                ? CanSkipGroup(args, first + offset, cache.Ceilings(group, tile), tileCeilings[tile], maxima)
                                : CanSkip(args, first + offset, rows, tile, default, cache.Ceilings(group, tile), tileCeilings, maxima);
                        if (skip)
                        {
                            scratch.SkippedGroupTiles++;
                            continue;
                        }
                        RunGroupOnTile(args, first + offset, group, rows, tile, tileCeilings[tile], columnFactors, maxima, sums, cache, scratch);
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

    /// <summary>Per tile, c_t = max_j (v_j - s_j): no term of the tile can exceed it minus gamma r_ij + s_q.</summary>
    private double[] TileCeilings(in Inputs args)
    {
        var ceilings = new double[Tiles];
        for (int tile = 0; tile < Tiles; tile++)
        {
            double ceiling = double.NegativeInfinity;
            int end = Math.Min(_columns.PaddedRows, (tile + 1) * _columnTile);
            for (int j = tile * _columnTile; j < end; j++) ceiling = Math.Max(ceiling, ShiftedOffset(args, j));
            ceilings[tile] = ceiling;
        }
        return ceilings;
    }

    /// <summary>e_j = exp(v_j - s_j - c_t) per padded column (0 for columns left out).</summary>
    private double[] ColumnFactors(in Inputs args, double[] tileCeilings)
    {
        var factors = new double[Tiles * _columnTile];
        for (int j = 0; j < _columns.PaddedRows; j++)
        {
            double ceiling = tileCeilings[j / _columnTile];
            factors[j] = double.IsNegativeInfinity(ceiling) ? 0 : Math.Exp(ShiftedOffset(args, j) - ceiling);
        }
        return factors;
    }

    private static double ShiftedOffset(in Inputs args, int column) =>
        double.CreateTruncating(args.ColumnOffsets[column]) - (args.Shifts is null ? 0 : double.CreateTruncating(args.Shifts[column]));

    /// <summary>The first ceilings of a block's rows: minus the distance bounds, -inf where the bound is beyond the cut.</summary>
    private void SetCeilings(WeightCache<T> cache, int first, int count, ReadOnlySpan<double> lowerBounds)
    {
        double cut = double.CreateTruncating(_cut);
        for (int r = 0; r < count; r++)
        {
            int group = GroupIndex(first + r), lane = r % DistanceKernel.QueryRowsPerStep;
            for (int tile = 0; tile < Tiles; tile++)
            {
                double bound = lowerBounds[r * Tiles + tile];
                cache.Ceilings(group, tile)[lane] = bound > cut ? T.NegativeInfinity : T.CreateTruncating(-bound);
            }
        }
    }

    /// <summary>
    /// True when, for every row of the group, the whole tile is cut (gamma r beyond the cut) or every term
    /// is below exp(-PruneMargin) of the row's running maximum. The tile's largest exponent is bounded by the
    /// cache's ceilings for the group where there is a cache (<paramref name="ceilings"/>, four entries), else by
    /// the distance bounds (<paramref name="lowerBounds"/>).
    /// </summary>
    private bool CanSkip(in Inputs args, int first, int rows, int tile, ReadOnlySpan<double> lowerBounds, ReadOnlySpan<T> ceilings,
        double[] tileCeilings, T[] maxima)
    {
        double cut = double.CreateTruncating(_cut);
        for (int r = 0; r < rows; r++)
        {
            double largestExponent;
            if (!ceilings.IsEmpty) largestExponent = double.CreateTruncating(ceilings[r]);
            else
            {
                double bound = lowerBounds[r * Tiles + tile];
                largestExponent = bound > cut ? double.NegativeInfinity : -bound;
            }
            double rowShift = args.Shifts is null ? 0 : double.CreateTruncating(args.Shifts[first + r]);
            double ceiling = tileCeilings[tile] + largestExponent - rowShift;
            if (ceiling >= double.CreateTruncating(maxima[first + r]) - PruneMargin) return false;
        }
        return true;
    }

    /// <summary><see cref="CanSkip"/> for a whole group with cached ceilings, the four rows at once (the same float64 sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CanSkipGroup(in Inputs args, int first, ReadOnlySpan<T> ceilings, double tileCeiling, T[] maxima)
    {
        var ceiling = Vector256.Create(tileCeiling) + Simd.WidenFour(ceilings);
        if (args.Shifts is not null) ceiling -= Simd.WidenFour<T>(args.Shifts.AsSpan(first));
        var floor = Simd.WidenFour<T>(maxima.AsSpan(first)) - Vector256.Create(PruneMargin);
        return Vector256.LessThanAll(ceiling, floor);
    }

    private sealed class Scratch(int columnTile, int width, int rowTile, TileBounds<T> bounds)
    {
        /// <summary>The block's distance bounds to every tile.</summary>
        public readonly TileBounds<T>.Scratch Bounds = bounds.CreateScratch(rowTile);

        public long GroupTiles;
        public long SkippedGroupTiles;

        /// <summary>Four rows of squared distances, then of exponents.</summary>
        public readonly T[] Tile = new T[DistanceKernel.QueryRowsPerStep * columnTile];

        /// <summary>Four rows of unit weights u (when not read from the cache) and their four maxima m.</summary>
        public readonly T[] UnitWeights = new T[DistanceKernel.QueryRowsPerStep * columnTile];
        public readonly T[] UnitMaxima = new T[DistanceKernel.QueryRowsPerStep];

        /// <summary>Four rows of weights in float64, and the factor each row's weighted sum is taken with.</summary>
        public readonly double[] Weights = new double[DistanceKernel.QueryRowsPerStep * columnTile];
        public readonly double[] RowFactors = new double[DistanceKernel.QueryRowsPerStep];

        /// <summary>Accumulator rows for the missing rows of a short group (their weights are zero).</summary>
        public readonly double[] Spare = new double[width];
    }

    /// <summary>Up to four query rows against one tile, updating their running maxima and sums.</summary>
    private void RunGroupOnTile(in Inputs args, int first, int group, int rows, int tile, double tileCeiling, double[] columnFactors,
        T[] maxima, double[] sums, WeightCache<T>? cache, Scratch scratch)
    {
        int stride = _columnTile;
        int tileStart = tile * stride;
        int tileColumns = Math.Min(stride, _columns.PaddedRows - tileStart);
        int width = args.Width;
        var distances = scratch.Tile.AsSpan();
        bool haveDistances = false;
        var unitMaxima = scratch.UnitMaxima;
        if (cache is not null && cache.TryGet(group, tile, out var unitWeights))
        {
            cache.Ceilings(group, tile).CopyTo(unitMaxima);
        }
        else
        {
            DistanceKernel.SquaredDistances(args.Queries, args.QueryNorms, first, rows, _columns, tileStart, tileColumns, distances, stride);
            haveDistances = true;
            ToUnitWeights(args.Diagonal, first, rows, tileStart, tileColumns, distances, scratch.UnitWeights, unitMaxima);
            unitWeights = scratch.UnitWeights;
            if (cache is not null)
            {
                unitMaxima.CopyTo(cache.Ceilings(group, tile));
                cache.Computed(group, tile, unitWeights);
            }
        }

        var weights = scratch.Weights.AsSpan();
        var rowFactors = scratch.RowFactors;
        var rowMax = maxima.AsSpan(first, rows);
        var factors = columnFactors.AsSpan(tileStart, tileColumns);
        for (int r = 0; r < DistanceKernel.QueryRowsPerStep; r++)
        {
            int query = first + r;
            var rowWeights = weights.Slice(r * stride, tileColumns);
            double unitMax = r < rows ? double.CreateTruncating(unitMaxima[r]) : double.NegativeInfinity;
            rowFactors[r] = 0;
            if (double.IsNegativeInfinity(unitMax))
            {
                rowWeights.Clear();
                continue;
            }
            double largest = MultiplyAndMax(unitWeights.Slice(r * stride, tileColumns), factors, rowWeights);
            double rowShift = args.Shifts is null ? 0 : double.CreateTruncating(args.Shifts[query]);
            // exp(b_qj) = exp(scaleExponent) u_qj e_j.
            double scaleExponent = tileCeiling + unitMax - rowShift;
            // A unit weight that underflowed T weighs at most exp(scaleExponent + ln(smallest normal)): it can only
            // matter when that is within the pruning margin of the row's running maximum.
            if (largest < FactoredFloor
                && scaleExponent + Simd.LogSmallestNormal<T>() >= double.CreateTruncating(rowMax[r]) - PruneMargin)
            {
                if (!haveDistances)
                {
                    DistanceKernel.SquaredDistances(args.Queries, args.QueryNorms, first, rows, _columns, tileStart, tileColumns, distances, stride);
                    haveDistances = true;
                }
                WeighInFull(args, query, tileStart, distances.Slice(r * stride, tileColumns), ref rowMax[r], sums.AsSpan(query * width, width), rowWeights);
                rowFactors[r] = 1;
                continue;
            }
            if (largest == 0) continue;
            // u, e <= 1: a tile can only raise the maximum when scaleExponent does (most tiles, nearest first, cannot).
            if (scaleExponent > double.CreateTruncating(rowMax[r]))
                RaiseMaximum(ref rowMax[r], T.CreateTruncating(scaleExponent + Math.Log(largest)), sums.AsSpan(query * width, width));
            rowFactors[r] = Math.Exp(scaleExponent - double.CreateTruncating(rowMax[r]));
        }
        Accumulate(weights, stride, 1, tileColumns, args.G.AsSpan(tileStart * width, tileColumns * width), width, rowFactors,
            sums.AsSpan(first * width, rows * width), scratch.Spare);
    }

    /// <summary>
    /// Unit weights u = exp(x - m) of a group on a tile from its squared distances: x = -gamma r, -inf where
    /// gamma r exceeds the cut or the pair is excluded, 0 on the kept diagonal (scikit-learn zeroes r_qq);
    /// m = max x per row (-inf: the whole row is out).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void ToUnitWeights(DiagonalRule diagonal, int first, int rows, int tileStart, int tileColumns,
        Span<T> distances, T[] unitWeights, T[] unitMaxima)
    {
        int lanes = Vector256<T>.Count;
        int stride = _columnTile;
        var gamma = Vector256.Create(_gamma);
        var cut = Vector256.Create(_cut);
        var negativeInfinity = Vector256.Create(T.NegativeInfinity);
        for (int r = 0; r < rows; r++)
        {
            // The exponents go into the unit weights' row, which the exponentials then overwrite in place:
            // the distances stay for the rows that need their exponents in full.
            var units = unitWeights.AsSpan(r * stride, tileColumns);
            var max = negativeInfinity;
            fixed (T* x = distances.Slice(r * stride, tileColumns))
            fixed (T* u = units)
            {
                for (int j = 0; j < tileColumns; j += lanes)
                {
                    var scaled = gamma * Vector256.Load(x + j);
                    var exponent = Vector256.ConditionalSelect(Vector256.GreaterThan(scaled, cut), negativeInfinity, -scaled);
                    exponent.Store(u + j);
                    max = Vector256.MaxNative(max, exponent);
                }
            }
            int query = first + r;
            T rowMax = Simd.HorizontalMax(max);
            if (diagonal != DiagonalRule.None && query >= tileStart && query < tileStart + tileColumns)
            {
                units[query - tileStart] = diagonal == DiagonalRule.Exclude ? T.NegativeInfinity : T.Zero;
                rowMax = MaxOf(units);
            }
            unitMaxima[r] = rowMax;
            if (T.IsNegativeInfinity(rowMax))
            {
                units.Clear();
                continue;
            }
            var shift = Vector256.Create(rowMax);
            fixed (T* u = units)
            {
                for (int j = 0; j < tileColumns; j += lanes)
                    Simd.ExpNonPositive(Vector256.Load(u + j) - shift).Store(u + j);
            }
        }
        for (int r = rows; r < DistanceKernel.QueryRowsPerStep; r++) unitMaxima[r] = T.NegativeInfinity;
    }

    /// <summary>w_j = u_j e_j in float64; returns the largest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe double MultiplyAndMax(ReadOnlySpan<T> units, ReadOnlySpan<double> factors, Span<double> weights)
    {
        var max = Vector256<double>.Zero;
        fixed (T* u = units)
        fixed (double* e = factors)
        fixed (double* w = weights)
        {
            for (int j = 0; j < units.Length; j += Vector256<T>.Count)
            {
                if (typeof(T) == typeof(float))
                {
                    var (lower, upper) = Vector256.Widen(Vector256.Load((float*)u + j));
                    var first = lower * Vector256.Load(e + j);
                    var second = upper * Vector256.Load(e + j + 4);
                    first.Store(w + j);
                    second.Store(w + j + 4);
                    max = Vector256.MaxNative(max, Vector256.MaxNative(first, second));
                }
                else
                {
                    var product = Vector256.Load((double*)u + j) * Vector256.Load(e + j);
                    product.Store(w + j);
                    max = Vector256.MaxNative(max, product);
                }
            }
        }
        return Simd.HorizontalMax(max);
    }

    /// <summary>
    /// The row's terms from its exponents b formed in full (where the factored form could lose a term):
    /// updates the running maximum and sums, and leaves the row's weights exp(b - h).
    /// </summary>
    private void WeighInFull(in Inputs args, int query, int tileStart, ReadOnlySpan<T> distances, ref T rowMax, Span<double> sums, Span<double> weights)
    {
        int tileColumns = weights.Length;
        Span<T> exponents = stackalloc T[tileColumns];
        T rowShift = args.Shifts is null ? T.Zero : args.Shifts[query];
        var columnShifts = args.Shifts is null ? ReadOnlySpan<T>.Empty : args.Shifts.AsSpan(tileStart, tileColumns);
        T tileMax = ToExponents(distances, exponents, rowShift, columnShifts, args.ColumnOffsets.AsSpan(tileStart, tileColumns));
        if (args.Diagonal != DiagonalRule.None && query >= tileStart && query < tileStart + tileColumns)
        {
            // r_qq = 0 exactly (scikit-learn zeroes the diagonal distance), so b_qq = v_q - 2 s_q.
            exponents[query - tileStart] = args.Diagonal == DiagonalRule.Exclude
                ? T.NegativeInfinity
                : args.ColumnOffsets[query] - (rowShift + rowShift);
            tileMax = MaxOf(exponents);
        }
        if (T.IsNegativeInfinity(tileMax))
        {
            weights.Clear();
            return;
        }
        RaiseMaximum(ref rowMax, tileMax, sums);
        for (int j = 0; j < tileColumns; j++) weights[j] = Math.Exp(double.CreateTruncating(exponents[j] - rowMax));
    }

    /// <summary>
    /// Exponents b = v - ((gamma r + s_q) + s_j) of a row, cut ones to -inf; returns the maximum.
    /// </summary>
    private T ToExponents(ReadOnlySpan<T> distances, Span<T> exponents, T rowShift, ReadOnlySpan<T> columnShifts, ReadOnlySpan<T> offsets)
    {
        T max = T.NegativeInfinity;
        for (int j = 0; j < exponents.Length; j++)
        {
            T scaled = _gamma * distances[j];
            T bracket = columnShifts.IsEmpty ? scaled : scaled + rowShift + columnShifts[j];
            exponents[j] = scaled > _cut ? T.NegativeInfinity : offsets[j] - bracket;
            max = T.Max(max, exponents[j]);
        }
        return max;
    }

    private static T MaxOf(ReadOnlySpan<T> values)
    {
        T max = T.NegativeInfinity;
        foreach (var value in values) max = T.Max(max, value);
        return max;
    }

    /// <summary>Raises a row's running maximum h to <paramref name="tileMax"/> if that is higher, rescaling the row's
    /// sums to the new h (the online maximum of both the factored and the in-full path).</summary>
    private static void RaiseMaximum(ref T rowMax, T tileMax, Span<double> sums)
    {
        if (!(tileMax > rowMax)) return;
        if (!T.IsNegativeInfinity(rowMax)) Scale(sums, Math.Exp(double.CreateTruncating(rowMax) - double.CreateTruncating(tileMax)));
        rowMax = tileMax;
    }

    private static void Scale(Span<double> values, double factor)
    {
        for (int k = 0; k < values.Length; k++) values[k] *= factor;
    }

    /// <summary>
    /// acc_r += f_r sum_j w_rj G_j for the four rows of a group over one tile, in float64. Each G load serves
    /// the four rows; G's row is taken eight values at a time, so that the eight partial sums (4 rows x 2 vectors),
    /// the four broadcast weights and the G vectors fit in the sixteen ymm registers (twelve partial sums did
    /// not: one went to the stack, and its store-to-load latency set the pace). There is no branch on zero
    /// weights (cut pairs), which come in no predictable order in shuffled data.
    /// </summary>
    /// <param name="weights">w_rj at <c>r rowStride + j columnStride</c>: rows of a tile, or the columns of a
    /// block read as rows (the symmetric store's other side); float64, or unit weights in T widened as they are read.</param>
    /// <param name="rowFactors">f_r per row of the group.</param>
    /// <param name="accumulators">The group's rows of sums (rows x width); missing rows use <paramref name="spare"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Accumulate<TWeight>(ReadOnlySpan<TWeight> weights, int rowStride, int columnStride, int columns,
        ReadOnlySpan<double> g, int width, ReadOnlySpan<double> rowFactors, Span<double> accumulators, double[] spare)
        where TWeight : unmanaged, INumberBase<TWeight>
    {
        int rows = accumulators.Length / width;
        fixed (TWeight* w = weights)
        fixed (double* gRows = g)
        fixed (double* sums = accumulators)
        fixed (double* spareSums = spare)
        {
            double* acc0 = sums;
            double* acc1 = rows > 1 ? sums + width : spareSums;
            double* acc2 = rows > 2 ? sums + 2 * width : spareSums;
            double* acc3 = rows > 3 ? sums + 3 * width : spareSums;
            if (Vector512.IsHardwareAccelerated)
            {
                Accumulate512(w, rowStride, columnStride, columns, gRows, width, rowFactors, acc0, acc1, acc2, acc3);
                return;
            }
            var f0 = Vector256.Create(rowFactors[0]);
            var f1 = Vector256.Create(rowFactors[1]);
            var f2 = Vector256.Create(rowFactors[2]);
            var f3 = Vector256.Create(rowFactors[3]);
            for (int k = 0; k < width; k += 8)
            {
                bool two = width - k >= 8;
                Vector256<double> a00 = default, a10 = default, a20 = default, a30 = default;
                Vector256<double> a01 = default, a11 = default, a21 = default, a31 = default;
                double* row = gRows + k;
                TWeight* w0 = w;
                for (int j = 0; j < columns; j++, row += width, w0 += columnStride)
                {
                    var b0 = Vector256.Create(double.CreateTruncating(w0[0]));
                    var b1 = Vector256.Create(double.CreateTruncating(w0[rowStride]));
                    var b2 = Vector256.Create(double.CreateTruncating(w0[2 * rowStride]));
                    var b3 = Vector256.Create(double.CreateTruncating(w0[3 * rowStride]));
                    var g0 = Vector256.Load(row);
                    a00 = Vector256.FusedMultiplyAdd(b0, g0, a00); a10 = Vector256.FusedMultiplyAdd(b1, g0, a10);
                    a20 = Vector256.FusedMultiplyAdd(b2, g0, a20); a30 = Vector256.FusedMultiplyAdd(b3, g0, a30);
                    if (two)
                    {
                        var g1 = Vector256.Load(row + 4);
                        a01 = Vector256.FusedMultiplyAdd(b0, g1, a01); a11 = Vector256.FusedMultiplyAdd(b1, g1, a11);
                        a21 = Vector256.FusedMultiplyAdd(b2, g1, a21); a31 = Vector256.FusedMultiplyAdd(b3, g1, a31);
                    }
                }
                AddScaled(acc0 + k, f0, a00, a01, two);
                AddScaled(acc1 + k, f1, a10, a11, two);
                AddScaled(acc2 + k, f2, a20, a21, two);
                AddScaled(acc3 + k, f3, a30, a31, two);
            }
        }
    }

    /// <summary>
    /// acc_{k,r} += f_r sum_c w_rc G_{c,k} where the weights of consecutive rows lie side by side (w_rc at
    /// <c>r + c columnStride</c>: the symmetric store's block read by columns). The rows are the vector: one conversion
    /// serves eight weights (four without AVX-512) and each G value is broadcast from memory, so a weight costs width / 8
    /// FMAs, against two FMAs, a conversion and a broadcast in <see cref="Accumulate"/>. Sums are by class: class k of row r
    /// at <c>k stride + r</c>. Twelve classes at a time, so that the partial sums stay in registers.
    /// </summary>
    /// <param name="rows">The rows, a multiple of the vector's lanes.</param>
    /// <param name="classes">The classes to accumulate, the first of G's <paramref name="width"/> columns; the sums of
    /// the others are left as they are (where those columns of G are 0, as they would come out). Classes go in pairs:
    /// an odd number also accumulates the class after the last.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void AccumulateByClass<TWeight>(ReadOnlySpan<TWeight> weights, int columnStride, int rows, int columns,
        ReadOnlySpan<double> g, int width, int classes, ReadOnlySpan<double> rowFactors, Span<double> sumsByClass, int stride)
        where TWeight : unmanaged, INumberBase<TWeight>
    {
        if (typeof(TWeight) != typeof(float) && typeof(TWeight) != typeof(double)) throw new NotSupportedException(typeof(TWeight).Name);
        int lanes = Vector512.IsHardwareAccelerated ? Vector512<double>.Count : Vector256<double>.Count;
        if (rows % lanes != 0) throw new ArgumentException($"{rows} rows are not a multiple of {lanes}", nameof(rows));
        if (classes < 0 || (classes + 1) / 2 * 2 > width) throw new ArgumentOutOfRangeException(nameof(classes), $"{classes} classes in pairs of G's {width} columns");
        if (rows > rowFactors.Length || (long)(width - 1) * stride + rows > sumsByClass.Length
            || (long)(columns - 1) * columnStride + rows > weights.Length || (long)columns * width > g.Length)
            throw new ArgumentException("the spans are shorter than the block");
        fixed (TWeight* w = weights)
        fixed (double* gRows = g)
        fixed (double* f = rowFactors)
        fixed (double* sums = sumsByClass)
        {
            for (int r = 0; r < rows; r += lanes)
                for (int k = 0; k < classes; k += ClassesPerStep)
                {
                    int pairs = (Math.Min(ClassesPerStep, classes - k) + 1) / 2;
                    if (lanes == Vector512<double>.Count)
                        ByClassPairs<Width512<double>, Vector512<double>, TWeight>(pairs, w + r, columnStride, columns, gRows + k, width, f + r,
                            sums + (long)k * stride + r, stride);
                    else
                        ByClassPairs<Width256<double>, Vector256<double>, TWeight>(pairs, w + r, columnStride, columns, gRows + k, width, f + r,
                            sums + (long)k * stride + r, stride);
                }
        }
    }

    /// <summary>
    /// sums_r += f_r sum_c w_rc g_c for one class, where the weights of a row lie side by side (w_rc at
    /// <c>r rowStride + c</c>: the symmetric store's block read by rows) and g_c at <c>c gStride</c>: a dot product a
    /// row, so that one class (the degree pass) needs no transpose of the block. Four rows at a time, each with its own
    /// partial sums in the vector's lanes.
    /// </summary>
    /// <param name="rows">The rows, a multiple of four.</param>
    /// <param name="columns">The columns, a multiple of the vector's lanes.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void AccumulateRowDots<TWeight>(ReadOnlySpan<TWeight> weights, int rowStride, int rows, int columns,
        ReadOnlySpan<double> g, int gStride, ReadOnlySpan<double> rowFactors, Span<double> sums)
        where TWeight : unmanaged, INumberBase<TWeight>
    {
        if (typeof(TWeight) != typeof(float) && typeof(TWeight) != typeof(double)) throw new NotSupportedException(typeof(TWeight).Name);
        int lanes = Vector512.IsHardwareAccelerated ? Vector512<double>.Count : Vector256<double>.Count;
        if (rows % 4 != 0) throw new ArgumentException($"{rows} rows are not a multiple of 4", nameof(rows));
        if (columns % lanes != 0 || columns > MaxRowDotColumns)
            throw new ArgumentException($"{columns} columns are not a multiple of {lanes} up to {MaxRowDotColumns}", nameof(columns));
        if (rows > rowFactors.Length || rows > sums.Length || (rows > 0 && (long)(rows - 1) * rowStride + columns > weights.Length)
            || (columns > 0 && (long)(columns - 1) * gStride >= g.Length))
            throw new ArgumentException("the spans are shorter than the block");
        Span<double> column = stackalloc double[columns];
        for (int c = 0; c < columns; c++) column[c] = g[c * gStride];
        fixed (TWeight* w = weights)
        fixed (double* gColumn = column)
        {
            for (int r = 0; r < rows; r += 4)
            {
                var (s0, s1, s2, s3) = lanes == Vector512<double>.Count
                    ? FourRowDots<Width512<double>, Vector512<double>, TWeight>(w + (long)r * rowStride, rowStride, columns, gColumn)
                    : FourRowDots<Width256<double>, Vector256<double>, TWeight>(w + (long)r * rowStride, rowStride, columns, gColumn);
                sums[r] += rowFactors[r] * s0;
                sums[r + 1] += rowFactors[r + 1] * s1;
                sums[r + 2] += rowFactors[r + 2] * s2;
                sums[r + 3] += rowFactors[r + 3] * s3;
            }
        }
    }

    /// <summary>The most columns <see cref="AccumulateRowDots"/> takes (its column of G is on the stack).</summary>
    private const int MaxRowDotColumns = 1024;

    private static unsafe (double, double, double, double) FourRowDots<TWidth, TVector, TWeight>(TWeight* w, int rowStride, int columns, double* g)
        where TWidth : IVectorWidth<TVector, double> where TVector : struct where TWeight : unmanaged, INumberBase<TWeight>
    {
        TVector a0 = default, a1 = default, a2 = default, a3 = default;
        for (int c = 0; c < columns; c += TWidth.Count)
        {
            var gv = TWidth.Load(ref g[c], 0);
            a0 = TWidth.MultiplyAdd(Weights<TWidth, TVector, TWeight>(w + c), gv, a0);
            a1 = TWidth.MultiplyAdd(Weights<TWidth, TVector, TWeight>(w + rowStride + c), gv, a1);
            a2 = TWidth.MultiplyAdd(Weights<TWidth, TVector, TWeight>(w + 2 * rowStride + c), gv, a2);
            a3 = TWidth.MultiplyAdd(Weights<TWidth, TVector, TWeight>(w + 3 * rowStride + c), gv, a3);
        }
        return (TWidth.Sum(a0), TWidth.Sum(a1), TWidth.Sum(a2), TWidth.Sum(a3));
    }

    /// <summary>A vector of weights as float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TVector Weights<TWidth, TVector, TWeight>(TWeight* w)
        where TWidth : IVectorWidth<TVector, double> where TVector : struct where TWeight : unmanaged, INumberBase<TWeight> =>
        typeof(TWeight) == typeof(float) ? TWidth.Widen(ref *(float*)w, 0) : TWidth.Load(ref *(double*)w, 0);

    /// <summary>Classes per step of <see cref="AccumulateByClass"/>: twelve partial sums of the rows' vector.</summary>
    private const int ClassesPerStep = 12;

    /// <summary>A number of classes that <see cref="ByClass"/> is compiled for, so that its unused sums cost nothing.</summary>
    private interface IClassCount
    {
        static abstract int Count { get; }
    }

    private struct TwoClasses : IClassCount { public static int Count => 2; }
    private struct FourClasses : IClassCount { public static int Count => 4; }
    private struct SixClasses : IClassCount { public static int Count => 6; }
    private struct EightClasses : IClassCount { public static int Count => 8; }
    private struct TenClasses : IClassCount { public static int Count => 10; }
    private struct TwelveClasses : IClassCount { public static int Count => 12; }

    private static unsafe void ByClassPairs<TWidth, TVector, TWeight>(int pairs, TWeight* w, int columnStride, int columns, double* g, int width,
        double* f, double* sums, int stride)
        where TWidth : IVectorWidth<TVector, double> where TVector : struct where TWeight : unmanaged, INumberBase<TWeight>
    {
        switch (pairs)
        {
            case 1: ByClass<TWidth, TVector, TWeight, TwoClasses>(w, columnStride, columns, g, width, f, sums, stride); break;
            case 2: ByClass<TWidth, TVector, TWeight, FourClasses>(w, columnStride, columns, g, width, f, sums, stride); break;
            case 3: ByClass<TWidth, TVector, TWeight, SixClasses>(w, columnStride, columns, g, width, f, sums, stride); break;
            case 4: ByClass<TWidth, TVector, TWeight, EightClasses>(w, columnStride, columns, g, width, f, sums, stride); break;
            case 5: ByClass<TWidth, TVector, TWeight, TenClasses>(w, columnStride, columns, g, width, f, sums, stride); break;
            default: ByClass<TWidth, TVector, TWeight, TwelveClasses>(w, columnStride, columns, g, width, f, sums, stride); break;
        }
    }

    /// <summary>One vector of rows (the width's lanes), <typeparamref name="TClasses"/> classes.</summary>
    private static unsafe void ByClass<TWidth, TVector, TWeight, TClasses>(TWeight* w, int columnStride, int columns, double* g, int width,
        double* f, double* sums, int stride)
        where TWidth : IVectorWidth<TVector, double> where TVector : struct where TWeight : unmanaged, INumberBase<TWeight>
        where TClasses : IClassCount
    {
        int classes = TClasses.Count;
        TVector a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        TVector a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (int c = 0; c < columns; c++, w += columnStride, g += width)
        {
            var x = Weights<TWidth, TVector, TWeight>(w);
            a0 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[0]), a0);
            a1 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[1]), a1);
            if (classes > 2)
            {
                a2 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[2]), a2);
                a3 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[3]), a3);
            }
            if (classes > 4)
            {
                a4 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[4]), a4);
                a5 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[5]), a5);
            }
            if (classes > 6)
            {
                a6 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[6]), a6);
                a7 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[7]), a7);
            }
            if (classes > 8)
            {
                a8 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[8]), a8);
                a9 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[9]), a9);
            }
            if (classes > 10)
            {
                a10 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[10]), a10);
                a11 = TWidth.MultiplyAdd(x, TWidth.Broadcast(g[11]), a11);
            }
        }
        var factors = TWidth.Load(ref *f, 0);
        AddScaled<TWidth, TVector>(sums, factors, a0); AddScaled<TWidth, TVector>(sums + stride, factors, a1);
        if (classes > 2) { AddScaled<TWidth, TVector>(sums + 2 * stride, factors, a2); AddScaled<TWidth, TVector>(sums + 3 * stride, factors, a3); }
        if (classes > 4) { AddScaled<TWidth, TVector>(sums + 4 * stride, factors, a4); AddScaled<TWidth, TVector>(sums + 5 * stride, factors, a5); }
        if (classes > 6) { AddScaled<TWidth, TVector>(sums + 6 * stride, factors, a6); AddScaled<TWidth, TVector>(sums + 7 * stride, factors, a7); }
        if (classes > 8) { AddScaled<TWidth, TVector>(sums + 8 * stride, factors, a8); AddScaled<TWidth, TVector>(sums + 9 * stride, factors, a9); }
        if (classes > 10) { AddScaled<TWidth, TVector>(sums + 10 * stride, factors, a10); AddScaled<TWidth, TVector>(sums + 11 * stride, factors, a11); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddScaled<TWidth, TVector>(double* sums, TVector factors, TVector terms)
        where TWidth : IVectorWidth<TVector, double> where TVector : struct =>
        TWidth.Store(TWidth.MultiplyAdd(factors, terms, TWidth.Load(ref *sums, 0)), ref *sums, 0);

    /// <summary>
    /// <see cref="Accumulate"/> with AVX-512: G's row is taken twelve values at a time, one Vector512 and one Vector256
    /// (the ten classes of a typical fit and their padding in one step), so that each weight is broadcast once per
    /// twelve values and a pair costs two FMAs instead of three.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Accumulate512<TWeight>(TWeight* w, int rowStride, int columnStride, int columns, double* gRows, int width,
        ReadOnlySpan<double> rowFactors, double* acc0, double* acc1, double* acc2, double* acc3)
        where TWeight : unmanaged, INumberBase<TWeight>
    {
        for (int k = 0; k < width;)
        {
            int rest = width - k;
            bool wide = rest >= 8, narrow = rest == 4 || rest >= 12;
            int narrowAt = wide ? 8 : 0;
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<double> n0 = default, n1 = default, n2 = default, n3 = default;
            double* row = gRows + k;
            TWeight* w0 = w;
            for (int j = 0; j < columns; j++, row += width, w0 += columnStride)
            {
                var b0 = Vector512.Create(double.CreateTruncating(w0[0]));
                var b1 = Vector512.Create(double.CreateTruncating(w0[rowStride]));
                var b2 = Vector512.Create(double.CreateTruncating(w0[2 * rowStride]));
                var b3 = Vector512.Create(double.CreateTruncating(w0[3 * rowStride]));
                if (wide)
                {
                    var g = Vector512.Load(row);
                    a0 = Vector512.FusedMultiplyAdd(b0, g, a0); a1 = Vector512.FusedMultiplyAdd(b1, g, a1);
                    a2 = Vector512.FusedMultiplyAdd(b2, g, a2); a3 = Vector512.FusedMultiplyAdd(b3, g, a3);
                }
                if (narrow)
                {
                    var g = Vector256.Load(row + narrowAt);
                    n0 = Vector256.FusedMultiplyAdd(b0.GetLower(), g, n0); n1 = Vector256.FusedMultiplyAdd(b1.GetLower(), g, n1);
                    n2 = Vector256.FusedMultiplyAdd(b2.GetLower(), g, n2); n3 = Vector256.FusedMultiplyAdd(b3.GetLower(), g, n3);
                }
            }
            AddScaled512(acc0 + k, rowFactors[0], a0, n0, wide, narrow, narrowAt);
            AddScaled512(acc1 + k, rowFactors[1], a1, n1, wide, narrow, narrowAt);
            AddScaled512(acc2 + k, rowFactors[2], a2, n2, wide, narrow, narrowAt);
            AddScaled512(acc3 + k, rowFactors[3], a3, n3, wide, narrow, narrowAt);
            k += (wide ? 8 : 0) + (narrow ? 4 : 0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddScaled512(double* sums, double factor, Vector512<double> wide, Vector256<double> narrow,
        bool hasWide, bool hasNarrow, int narrowAt)
    {
        if (hasWide) Vector512.FusedMultiplyAdd(Vector512.Create(factor), wide, Vector512.Load(sums)).Store(sums);
        if (hasNarrow) Vector256.FusedMultiplyAdd(Vector256.Create(factor), narrow, Vector256.Load(sums + narrowAt)).Store(sums + narrowAt);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AddScaled(double* sums, Vector256<double> factor, Vector256<double> first, Vector256<double> second, bool two)
    {
        Vector256.FusedMultiplyAdd(factor, first, Vector256.Load(sums)).Store(sums);
        if (two) Vector256.FusedMultiplyAdd(factor, second, Vector256.Load(sums + 4)).Store(sums + 4);
    }
}
