using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// The rbf passes over the training rows with every pair's weight computed once and stored once: W is symmetric,
/// so each (row tile I, column tile J) block with I &lt;= J serves the rows of I against the columns of J and, read
/// by columns, the rows of J against the columns of I. This halves the distances, the exponentials and the memory
/// of <see cref="WeightCache{T}"/>, which keeps each pair twice (once per row) and computes it twice before it keeps
/// it; in exchange it never skips a tile, so it is the better choice where few tiles can be skipped (real data, whose
/// classes overlap), and the worse one where most can (<see cref="Prunability"/>). It needs no spatial order of the rows.
/// <para>
/// With x_qj = -gamma r_qj (-inf where cut or excluded) and m_qJ = max_{j in J} x_qj, the block keeps the unit weights
/// <c>u_qj = exp(x_qj - (m_qJ + m_jI)/2)</c> in T: symmetric in (q, j), at most 1, and 1 where q and j are each
/// other's nearest in the two tiles. A pass's term is then
/// <code>
///   exp(x_qj + o_j - s_q) = u_qj exp(m_jI/2 + o_j - A) exp(A + m_qJ/2 - s_q),   A = max_{j in J} (m_jI/2 + o_j),
/// </code>
/// a unit weight, a column factor at most 1 (float64) and a row factor, which the pass accumulates as
/// <see cref="RbfPass{T}"/> does: an online maximum per row, G and the sums in float64. Where a row's unit weights on
/// a block may have underflowed T while its terms still count (its largest u e below
/// <see cref="RbfPass{T}.FactoredFloor"/>), the row's exponents on that tile are formed in full from its distances
/// instead, so the result does not depend on how far apart the rows of a block are.
/// </para>
/// </summary>
internal sealed unsafe class SymmetricWeights<T> : IRbfTrainingPass<T>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows and columns per tile: a block of 64 x 64 float32 is 16 KiB, and with its G rows stays in L1/L2.</summary>
    public const int Tile = 64;

    private const int Group = DistanceKernel.QueryRowsPerStep;
    private readonly PackedRows<T> _rows;
    private readonly T _gamma;
    private readonly T _cut;
    private readonly DiagonalRule _diagonal;
    private readonly int _tiles;
    /// <summary>Block (I, J), I &lt;= J, is block number [I tiles + J] of the store: blocks lie in the order a pass takes
    /// them (<see cref="Run"/>), so that each thread reads the store in long runs that the prefetcher follows.</summary>
    private readonly int[] _slots;
    /// <summary>Values per block: the unit weights, then m_qJ of its rows q (of I) and m_jI of its columns j (of J). A
    /// side finds every tile maximum it needs in its own block, in the stream of the store.</summary>
    private const int BlockValues = Tile * Tile + 2 * Tile;
    private readonly NativeBlocks<T> _blocks;
    private bool _filled;

    /// <summary>Bytes the store takes for <paramref name="paddedRows"/> rows of <paramref name="valueBytes"/>-byte values.</summary>
    public static long Bytes(int paddedRows, int valueBytes)
    {
        long tiles = (paddedRows + Tile - 1) / Tile;
        return tiles * (tiles + 1) / 2 * BlockValues * valueBytes + tiles * tiles * sizeof(int);
    }

    /// <param name="rows">The training rows (queries and columns alike).</param>
    /// <param name="gamma">The rbf gamma.</param>
    /// <param name="cut">Exponents gamma r above this count as zero affinity (+inf: no cut).</param>
    /// <param name="diagonal">The rule for (i, i) of every pass over this store.</param>
    public SymmetricWeights(PackedRows<T> rows, double gamma, double cut, DiagonalRule diagonal)
    {
        if (diagonal == DiagonalRule.None) throw new ArgumentException("the store holds the training rows against themselves", nameof(diagonal));
        _rows = rows;
        _gamma = T.CreateTruncating(gamma);
        _cut = T.CreateTruncating(cut);
        _diagonal = diagonal;
        _tiles = (rows.PaddedRows + Tile - 1) / Tile;
        _slots = new int[_tiles * _tiles];
        int slot = 0;
        for (int tile = 0; tile < _tiles; tile++) _slots[tile * _tiles + tile] = slot++;
        int players = Players(_tiles);
        for (int round = 0; round < players - 1; round++)
            for (int match = 0; match < players / 2; match++)
            {
                var (first, second) = Match(players, round, match);
                if (first < _tiles && second < _tiles) _slots[Math.Min(first, second) * _tiles + Math.Max(first, second)] = slot++;
            }
        _blocks = new NativeBlocks<T>((long)_tiles * (_tiles + 1) / 2 * BlockValues);
    }

    public PackedRows<T> Rows => _rows;

    /// <summary>What share of the work the per-row passes of <see cref="RbfPass{T}"/> could skip.</summary>
    /// <param name="Pairs">The fraction of pairs (q, j) whose exponent is more than <see cref="RbfPass{T}.PruneMargin"/>
    /// below row q's largest (cut pairs included): a bound on <paramref name="Tiles"/> in any order of the rows.</param>
    /// <param name="Tiles">The fraction of (row, column tile) pairs whose every exponent is, in the rows' present order:
    /// the tiles that the per-row passes skip once they know each tile's largest term.</param>
    public readonly record struct Skippable(double Pairs, double Tiles);

    /// <summary>Measures <see cref="Skippable"/> exactly on up to <paramref name="sampleRows"/> rows spread over the
    /// data, against every row.</summary>
    public static Skippable Prunability(PackedRows<T> rows, double gamma, double cut, int columnTile, int sampleRows, CancellationToken cancellation)
    {
        int groups = DistanceKernel.SampleGroups(rows.Rows, sampleRows), samples = groups * Group;
        if (groups == 0) return new Skippable(0, 0);
        int tiles = (rows.PaddedRows + columnTile - 1) / columnTile;
        long prunableTiles = 0, prunablePairs = 0;
        Parallel.For(0, groups, new ParallelOptions { CancellationToken = cancellation },
            () => (Distances: new T[Group * columnTile], Exponents: new double[Group * rows.PaddedRows], Tiles: 0L, Pairs: 0L),
            (group, _, local) =>
            {
                int first = DistanceKernel.SampleGroupStart(group, groups, rows.Rows);
                int count = Math.Min(Group, rows.Rows - first);
                for (int tile = 0; tile < tiles; tile++)
                {
                    int start = tile * columnTile, columns = Math.Min(columnTile, rows.PaddedRows - start);
                    DistanceKernel.SquaredDistances(rows.RowMajor, rows.Norms, first, count, rows, start, columns, local.Distances, columnTile);
                    for (int r = 0; r < count; r++)
                        for (int j = 0; j < columns; j++)
                        {
                            double scaled = gamma * double.CreateTruncating(local.Distances[r * columnTile + j]);
                            bool kept = start + j < rows.Rows && start + j != first + r && scaled <= cut;
                            local.Exponents[(long)r * rows.PaddedRows + start + j] = kept ? -scaled : double.NegativeInfinity;
                        }
                }
                for (int r = 0; r < count; r++)
                {
                    var exponents = local.Exponents.AsSpan(r * rows.PaddedRows, rows.Rows);
                    double floor = double.NegativeInfinity;
                    foreach (double x in exponents) floor = Math.Max(floor, x);
                    floor -= RbfPass<T>.PruneMargin;
                    foreach (double x in exponents)
                        if (!(x >= floor)) local.Pairs++;
                    for (int tile = 0; tile < tiles; tile++)
                    {
                        int start = tile * columnTile, end = Math.Min(rows.Rows, start + columnTile);
                        bool skippable = true;
                        for (int j = start; j < end && skippable; j++) skippable = !(exponents[j] >= floor);
                        if (skippable) local.Tiles++;
                    }
                }
                return local;
            },
            local =>
            {
                Interlocked.Add(ref prunableTiles, local.Tiles);
                Interlocked.Add(ref prunablePairs, local.Pairs);
            });
        return new Skippable((double)prunablePairs / ((long)samples * rows.Rows), (double)prunableTiles / ((long)samples * tiles));
    }

    /// <summary>Runs a pass (the same contract as <see cref="RbfPass{T}.Run"/> over the training rows): h_q into
    /// <paramref name="maxima"/>, acc_q into <paramref name="sums"/>. The first pass also fills the store.</summary>
    public void Run(in RbfPass<T>.Inputs inputs, T[] maxima, double[] sums, CancellationToken cancellation)
    {
        if (inputs.Diagonal != _diagonal || inputs.QueryRows != _rows.Rows || !ReferenceEquals(inputs.Queries, _rows.RowMajor))
            throw new ArgumentException("the symmetric store only runs the training rows against themselves, with its own diagonal rule", nameof(inputs));
        var pass = new Pass(this, inputs);
        bool fill = !_filled;
        var options = new ParallelOptions { CancellationToken = cancellation };
        int width = inputs.Width;
        using var scratch = new ThreadLocal<Scratch>(() => new Scratch(width));
        // The diagonal blocks, then the others in the rounds of a round-robin tournament between the tiles: within a
        // round no two blocks share a tile, so each block's two sides update their rows' sums unshared, and every row
        // takes its terms in the same order whatever the threads do (the result does not depend on them).
        Parallel.For(0, _tiles, options, tile => pass.Block(tile, tile, fill, scratch.Value!));
        int players = Players(_tiles);
        for (int round = 0; round < players - 1; round++)
        {
            int current = round;
            Parallel.For(0, players / 2, options, match =>
            {
                var (first, second) = Match(players, current, match);
                if (first < _tiles && second < _tiles) pass.Block(Math.Min(first, second), Math.Max(first, second), fill, scratch.Value!);
            });
        }
        _filled = true;
        pass.Write(maxima, sums);
    }

    /// <summary>Players of the tournament between <paramref name="tiles"/> tiles: an odd number gets a bye.</summary>
    private static int Players(int tiles) => tiles % 2 == 0 ? tiles : tiles + 1;

    /// <summary>
    /// The circle method: in round r of a tournament between <paramref name="players"/> (even), match 0 pairs r with the
    /// last player and match k pairs r + k with r - k (modulo players - 1). Every pair meets in exactly one round.
    /// </summary>
    internal static (int First, int Second) Match(int players, int round, int match)
    {
        int circle = players - 1;
        return match == 0 ? (round, circle) : ((round + match) % circle, (round - match + circle) % circle);
    }

    public void Dispose() => _blocks.Dispose();

    private T* Block(int rowTile, int columnTile) => _blocks.Start + (long)_slots[rowTile * _tiles + columnTile] * BlockValues;

    /// <summary>m_qJ of block (I, J)'s rows q: their largest exponents on J.</summary>
    private Span<T> RowMaxima(int rowTile, int columnTile) => new(Block(rowTile, columnTile) + Tile * Tile, Tile);

    /// <summary>m_jI of block (I, J)'s columns j: their largest exponents on I.</summary>
    private Span<T> ColumnMaxima(int rowTile, int columnTile) => new(Block(rowTile, columnTile) + Tile * Tile + Tile, Tile);

    /// <summary>Asks for the block after (I, J) in the store, which a thread's share of a round takes next (mostly), to
    /// come into the cache while this one is read.</summary>
    private void PrefetchFollowing(int rowTile, int columnTile)
    {
        if (!Sse.IsSupported) return;
        T* following = Block(rowTile, columnTile) + BlockValues;
        if ((byte*)(following + BlockValues) > (byte*)_blocks.Start + _blocks.Bytes) return;
        int valuesPerLine = 64 / sizeof(T);
        for (int offset = 0; offset < BlockValues; offset += valuesPerLine) Sse.Prefetch0(following + offset);
    }

    private int TileWidth(int tile) => Math.Min(Tile, _rows.PaddedRows - tile * Tile);

    /// <summary>A thread's buffers for a block.</summary>
    private sealed class Scratch(int width)
    {
        /// <summary>A block's unit weights transposed, for the side that reads it by rows.</summary>
        public readonly T[] Transposed = new T[Tile * Tile];
        /// <summary>A block's squared distances, then exponents.</summary>
        public readonly T[] Exponents = new T[Tile * Tile];
        /// <summary>One row's distances or exponents on a tile, when formed in full (four rows: the kernel's step).</summary>
        public readonly T[] FullRow = new T[Group * Tile];
        /// <summary>A tile's rows of G times their column factors.</summary>
        public readonly double[] ScaledG = new double[Tile * width];
        public readonly double[] Offsets = new double[Tile];
        public readonly double[] Factors = new double[Tile];
        public readonly double[] RowFactors = new double[Tile];
        public readonly double[] HalfRowMaxima = new double[Tile];
        public readonly double[] HalfColumnMaxima = new double[Tile];
    }

    /// <summary>One pass: its inputs over the store, o_j = v_j - s_j (-inf for padding) and s_q in float64, and every
    /// row's running maximum h and sums acc.</summary>
    private sealed class Pass
    {
        private readonly SymmetricWeights<T> _store;
        private readonly RbfPass<T>.Inputs _inputs;
        private readonly double[] _offsets;
        private readonly double[] _shifts;
        private readonly double[] _rowMaxima;
        /// <summary>Per row, the largest term the pass has seen (h may run ahead of it, to a block's bound).</summary>
        private readonly double[] _provenMaxima;
        private readonly double[] _sums;
        /// <summary>The terms a row takes from the blocks, by class (class k of row q at k padded + q): the rows are the
        /// vector (<see cref="RbfPass{T}.AccumulateByClass"/>). A row's sum is these and <see cref="_sums"/>, where its
        /// terms formed in full go.</summary>
        private readonly double[] _sumsByClass;
        private readonly int _padded;
        /// <summary>G's columns up to its last that is not all 0 (the degree pass has one, a fit's G pads its classes to
        /// whole vectors): the columns after it add nothing to any row's sums.</summary>
        private readonly int _classes;

        public Pass(SymmetricWeights<T> store, in RbfPass<T>.Inputs inputs)
        {
            _store = store;
            _inputs = inputs;
            int padded = store._rows.PaddedRows, rows = store._rows.Rows;
            _offsets = new double[padded];
            _shifts = new double[padded];
            for (int j = 0; j < padded; j++)
            {
                double shift = inputs.Shifts is null ? 0 : double.CreateTruncating(inputs.Shifts[j]);
                _shifts[j] = shift;
                _offsets[j] = j < rows ? double.CreateTruncating(inputs.ColumnOffsets[j]) - shift : double.NegativeInfinity;
            }
            _rowMaxima = new double[padded];
            _rowMaxima.AsSpan().Fill(double.NegativeInfinity);
            _provenMaxima = new double[padded];
            _provenMaxima.AsSpan().Fill(double.NegativeInfinity);
            _sums = new double[(long)padded * inputs.Width];
            _sumsByClass = new double[(long)padded * inputs.Width];
            _padded = padded;
            _classes = UsedColumns(inputs.G, inputs.Width);
        }

        private static int UsedColumns(double[] g, int width)
        {
            int used = 0;
            for (long start = 0; start < g.Length; start += width)
                for (int k = width - 1; k >= used; k--)
                    if (g[start + k] != 0)
                    {
                        used = k + 1;
                        break;
                    }
            return used;
        }

        /// <summary>Block (I, J), I &lt;= J: filled first if the store is empty, then both its sides.</summary>
        public void Block(int rowTile, int columnTile, bool fill, Scratch scratch)
        {
            if (fill) _store.Fill(rowTile, columnTile, scratch);
            else _store.PrefetchFollowing(rowTile, columnTile);
            Side(rowTile, columnTile, transposed: false, scratch);
            if (columnTile != rowTile) Side(rowTile, columnTile, transposed: true, scratch);
        }

        /// <summary>Writes h_q (as T holds it) and acc_q relative to it for the training rows.</summary>
        public void Write(T[] maxima, double[] sums)
        {
            int width = _inputs.Width;
            for (int q = 0; q < _inputs.QueryRows; q++)
            {
                var rowSums = sums.AsSpan(q * width, width);
                if (double.IsNegativeInfinity(_rowMaxima[q]))
                {
                    maxima[q] = T.NegativeInfinity;
                    rowSums.Clear();
                    continue;
                }
                maxima[q] = T.CreateTruncating(_rowMaxima[q]);
                double factor = Math.Exp(_rowMaxima[q] - double.CreateTruncating(maxima[q]));
                for (int k = 0; k < width; k++) rowSums[k] = (_sums[(long)q * width + k] + _sumsByClass[(long)k * _padded + q]) * factor;
            }
        }

        /// <summary>
        /// One side of block (I, J): the rows of I against the columns of J, or (<paramref name="transposed"/>) the rows
        /// of J against the columns of I, reading the block by columns.
        /// </summary>
        private void Side(int blockRowTile, int blockColumnTile, bool transposed, Scratch scratch)
        {
            var store = _store;
            int rowTile = transposed ? blockColumnTile : blockRowTile;
            int columnTile = transposed ? blockRowTile : blockColumnTile;
            int rowStart = rowTile * Tile, columnStart = columnTile * Tile;
            int rowCount = store.TileWidth(rowTile), columnCount = store.TileWidth(columnTile);
            // a_j = m_j(rowTile)/2 + o_j, A = max a_j, e_j = exp(a_j - A).
            // Tiles are whole vectors of four (the accumulation takes its rows eight at a time).
            var offsets = scratch.Offsets.AsSpan(0, columnCount);
            var columnMaxima = (transposed ? store.RowMaxima(blockRowTile, blockColumnTile) : store.ColumnMaxima(blockRowTile, blockColumnTile))[..columnCount];
            var columnOffsets = _offsets.AsSpan(columnStart, columnCount);
            var half = Vector256.Create(0.5);
            var ceilings = Vector256.Create(double.NegativeInfinity);
            for (int j = 0; j < columnCount; j += 4)
            {
                var a = half * Simd.WidenFour(columnMaxima.Slice(j, 4)) + Vector256.Create(columnOffsets.Slice(j, 4));
                a.CopyTo(offsets.Slice(j, 4));
                ceilings = Vector256.Max(ceilings, a);
            }
            double ceiling = Simd.HorizontalMax(ceilings);
            if (double.IsNegativeInfinity(ceiling)) return;
            var factors = scratch.Factors.AsSpan(0, columnCount);
            ExpDifferences(offsets, ceiling, factors);
            // G'_j = e_j G_j: with the column factors in G, the unit weights are the weights.
            int width = _inputs.Width;
            var g = _inputs.G.AsSpan(columnStart * width, columnCount * width);
            var scaledG = scratch.ScaledG.AsSpan(0, columnCount * width);
            ScaleRows(g, factors, width, scaledG);

            // exp(x_qj + o_j - s_q) = exp(scale_q) u_qj e_j, every u e at most 1. A row's largest u e is needed only
            // where the block's bound scale_q is above the row's running maximum h: there the block may raise h, and
            // a unit weight that underflowed T may still count (scale_q + ln(T's smallest normal) within the pruning
            // margin of h). Elsewhere the row's factor is exp(scale_q - h), at most 1.
            var units = new ReadOnlySpan<T>(store.Block(blockRowTile, blockColumnTile), Tile * Tile);
            var rowMaxima = _rowMaxima.AsSpan(rowStart, rowCount);
            var rowTileMaxima = (transposed ? store.ColumnMaxima(blockRowTile, blockColumnTile) : store.RowMaxima(blockRowTile, blockColumnTile))[..rowCount];
            var shifts = _shifts.AsSpan(rowStart, rowCount);
            // Each row's factor: its exponent, then (in place, four rows at a time) the factor.
            var rowFactors = scratch.RowFactors.AsSpan(0, rowCount);
            double underflowReach = RbfPass<T>.PruneMargin + Simd.LogSmallestNormal<T>();
            var proven = _provenMaxima.AsSpan(rowStart, rowCount);
            var top = Vector256.Create(ceiling);
            var absent = Vector256.Create(double.NegativeInfinity);
            for (int group = 0; group < rowCount; group += 4)
            {
                // Four rows at once where none of them can be raised (each bound at most h, or the row has no pair on
                // the tile), with the same operations as one row at a time below.
                var m = Simd.WidenFour(rowTileMaxima.Slice(group, 4));
                var scales = top + half * m - Vector256.Create(shifts.Slice(group, 4));
                var h = Vector256.Create(rowMaxima.Slice(group, 4));
                var none = Vector256.Equals(m, absent);
                if (Vector256.AndNot(~Vector256.LessThanOrEqual(scales, h), none) == Vector256<double>.Zero)
                {
                    Simd.ExpNonPositive(Vector256.ConditionalSelect(none, absent, scales - h)).CopyTo(rowFactors.Slice(group, 4));
                    continue;
                }
                for (int q = group; q < group + 4; q++)
                {
                    double rowMaximum = double.CreateTruncating(rowTileMaxima[q]);
                    rowFactors[q] = double.NegativeInfinity;
                    if (double.IsNegativeInfinity(rowMaximum)) continue;
                    double scale = ceiling + 0.5 * rowMaximum - shifts[q];
                    if (scale <= rowMaxima[q])
                    {
                        rowFactors[q] = scale - rowMaxima[q];
                        continue;
                    }
                    // The block may raise the row's maximum. Where no underflowed unit weight of it can count (its bound
                    // is more than T's range less the margin above a term the row has), h is raised to the bound itself:
                    // never more than that above the row's largest term, so the sums keep their precision.
                    if (scale + underflowReach < proven[q])
                    {
                        Raise(rowStart + q, scale, proven: false);
                        rowFactors[q] = 0;
                        continue;
                    }
                    // Here a unit weight that underflowed T may be within the pruning margin of the row's largest term.
                    double largest = transposed ? LargestInColumn(units, factors, q) : LargestProduct(units.Slice(q * Tile, columnCount), factors);
                    if (largest < RbfPass<T>.FactoredFloor)
                    {
                        // Its factor stays 0: the unit weights are not used for this row.
                        AddInFull(rowStart + q, columnTile, scratch);
                        continue;
                    }
                    if (largest == 0) continue;
                    Raise(rowStart + q, scale + Math.Log(largest), proven: true);
                    rowFactors[q] = scale - rowMaxima[q];
                }
                // An exponent is above 0 (by at most -log(largest)) only where the maximum was just raised to the block's
                // largest term.
                var x = Vector256.Create<double>(rowFactors.Slice(group, 4));
                Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<double>.Zero), Vector256.Exp(x), Simd.ExpNonPositive(x))
                    .CopyTo(rowFactors.Slice(group, 4));
            }

            // One class (the degree pass): read by rows, the block gives each row's dot product as it lies.
            if (!transposed && _classes == 1)
            {
                RbfPass<T>.AccumulateRowDots(units, Tile, rowCount, columnCount, scaledG, width, rowFactors, _sumsByClass.AsSpan(rowStart, rowCount));
                return;
            }
            // Read by columns, the block's row c holds this side's rows side by side; read by rows, its transpose does.
            if (!transposed)
            {
                Transpose(units, scratch.Transposed);
                units = scratch.Transposed;
            }
            RbfPass<T>.AccumulateByClass(units, Tile, rowCount, columnCount, scaledG, width, _classes, rowFactors, _sumsByClass.AsSpan(rowStart), _padded);
        }

        /// <summary>
        /// Adds a row's terms on a tile from its exponents formed in full (where its unit weights may have underflowed),
        /// raising its running maximum as needed.
        /// </summary>
        private void AddInFull(int row, int columnTile, Scratch scratch)
        {
            var store = _store;
            int columnStart = columnTile * Tile, columnCount = store.TileWidth(columnTile);
            var exponents = scratch.FullRow.AsSpan(0, columnCount);
            store.Exponents(row, 1, columnTile, scratch.FullRow);
            double rowMax = double.NegativeInfinity;
            var terms = scratch.Offsets.AsSpan(0, columnCount);
            for (int j = 0; j < columnCount; j++)
            {
                terms[j] = double.CreateTruncating(exponents[j]) + _offsets[columnStart + j] - _shifts[row];
                rowMax = Math.Max(rowMax, terms[j]);
            }
            if (double.IsNegativeInfinity(rowMax)) return;
            Raise(row, rowMax, proven: true);
            double h = _rowMaxima[row];
            int width = _inputs.Width;
            var sums = _sums.AsSpan(row * width, width);
            for (int j = 0; j < columnCount; j++)
            {
                double weight = Math.Exp(terms[j] - h);
                if (weight == 0) continue;
                var g = _inputs.G.AsSpan((columnStart + j) * width, width);
                for (int k = 0; k < width; k++) sums[k] += weight * g[k];
            }
        }

        /// <summary>Raises a row's running maximum h to <paramref name="maximum"/> if that is higher, rescaling its sums;
        /// <paramref name="proven"/>: the value is a term the row has (not only a bound on one).</summary>
        private void Raise(int row, double maximum, bool proven)
        {
            if (proven) _provenMaxima[row] = Math.Max(_provenMaxima[row], maximum);
            double old = _rowMaxima[row];
            if (!(maximum > old)) return;
            if (!double.IsNegativeInfinity(old))
            {
                var sums = _sums.AsSpan(row * _inputs.Width, _inputs.Width);
                double factor = Math.Exp(old - maximum);
                for (int k = 0; k < sums.Length; k++) sums[k] *= factor;
                for (int k = 0; k < sums.Length; k++) _sumsByClass[(long)k * _padded + row] *= factor;
            }
            _rowMaxima[row] = maximum;
        }
    }

    /// <summary>
    /// The block's exponents x = -gamma r (-inf where cut, for padding and by the diagonal rule) for
    /// <paramref name="count"/> rows from <paramref name="firstRow"/> against a column tile, into rows of
    /// <see cref="Tile"/> (rows past <paramref name="count"/> up to the group are left as the kernel writes them).
    /// </summary>
    private void Exponents(int firstRow, int count, int columnTile, T[] output)
    {
        int columnStart = columnTile * Tile, columnCount = TileWidth(columnTile);
        for (int r = 0; r < count; r += Group)
        {
            int rows = Math.Min(Group, count - r);
            var block = output.AsSpan(r * Tile);
            if (firstRow + r >= _rows.Rows)
            {
                for (int k = 0; k < rows; k++) block.Slice(k * Tile, columnCount).Fill(T.NegativeInfinity);
                continue;
            }
            int real = Math.Min(rows, _rows.Rows - (firstRow + r));
            DistanceKernel.SquaredDistances(_rows.RowMajor, _rows.Norms, firstRow + r, real, _rows, columnStart, columnCount, block, Tile);
            for (int k = 0; k < rows; k++)
            {
                int row = firstRow + r + k;
                var x = block.Slice(k * Tile, columnCount);
                if (row >= _rows.Rows)
                {
                    x.Fill(T.NegativeInfinity);
                    continue;
                }
                ScaledAndCut(x);
                for (int j = Math.Max(0, _rows.Rows - columnStart); j < columnCount; j++) x[j] = T.NegativeInfinity;
                if (row >= columnStart && row < columnStart + columnCount)
                    x[row - columnStart] = _diagonal == DiagonalRule.Exclude ? T.NegativeInfinity : T.Zero;
            }
        }
    }

    /// <summary>x = -gamma r in place, -inf where gamma r is above the cut (the kernel clamps r at 0: no NaNs).</summary>
    private void ScaledAndCut(Span<T> x)
    {
        var gamma = Vector256.Create(_gamma);
        var cut = Vector256.Create(_cut);
        var cutOff = Vector256.Create(T.NegativeInfinity);
        int lanes = Vector256<T>.Count, j = 0;
        for (; j + lanes <= x.Length; j += lanes)
        {
            var scaled = gamma * Vector256.Create<T>(x.Slice(j, lanes));
            Vector256.ConditionalSelect(Vector256.GreaterThan(scaled, cut), cutOff, -scaled).CopyTo(x.Slice(j, lanes));
        }
        for (; j < x.Length; j++)
        {
            T scaled = _gamma * x[j];
            x[j] = scaled > _cut ? T.NegativeInfinity : -scaled;
        }
    }

    /// <summary>Computes block (I, J): its exponents, the tile maxima of its rows on J and of its columns on I, and
    /// its unit weights.</summary>
    private void Fill(int rowTile, int columnTile, Scratch scratch)
    {
        int rowCount = TileWidth(rowTile), columnCount = TileWidth(columnTile);
        int rowStart = rowTile * Tile;
        var x = scratch.Exponents;
        Exponents(rowStart, rowCount, columnTile, x);
        var halfRow = scratch.HalfRowMaxima;
        var halfColumn = scratch.HalfColumnMaxima;
        // The rows' and the columns' largest exponents in one sweep; there are no NaNs (distances are clamped at 0).
        int lanes = Vector256<T>.Count;
        Span<T> columnMaxima = stackalloc T[Tile];
        columnMaxima.Fill(T.NegativeInfinity);
        for (int q = 0; q < rowCount; q++)
        {
            var rowMaxima = Vector256.Create(T.NegativeInfinity);
            var row = x.AsSpan(q * Tile, columnCount);
            for (int j = 0; j < columnCount; j += lanes)
            {
                var values = Vector256.Create<T>(row.Slice(j, lanes));
                rowMaxima = Vector256.MaxNative(rowMaxima, values);
                Vector256.MaxNative(Vector256.Create<T>(columnMaxima.Slice(j, lanes)), values).CopyTo(columnMaxima.Slice(j, lanes));
            }
            T max = Simd.HorizontalMax(rowMaxima);
            RowMaxima(rowTile, columnTile)[q] = max;
            halfRow[q] = double.CreateTruncating(max);
        }
        for (int j = 0; j < columnCount; j++) halfColumn[j] = double.CreateTruncating(columnMaxima[j]);
        // A diagonal block's columns are its rows: the passes take m_jI from the rows' maxima there, as W is symmetric.
        (rowTile == columnTile ? RowMaxima(rowTile, columnTile)[..rowCount] : columnMaxima[..columnCount]).CopyTo(ColumnMaxima(rowTile, columnTile));
        // u = exp(x - (m_q + m_j)/2); a row or column without any pair (m = -inf) has x = -inf throughout.
        for (int q = 0; q < rowCount; q++) halfRow[q] = double.IsNegativeInfinity(halfRow[q]) ? 0 : 0.5 * halfRow[q];
        for (int j = 0; j < columnCount; j++) halfColumn[j] = double.IsNegativeInfinity(halfColumn[j]) ? 0 : 0.5 * halfColumn[j];
        var units = new Span<T>(Block(rowTile, columnTile), Tile * Tile);
        Span<T> shiftedColumns = stackalloc T[Tile];
        for (int j = 0; j < columnCount; j++) shiftedColumns[j] = T.CreateTruncating(halfColumn[j]);
        for (int q = 0; q < rowCount; q++)
        {
            var rowShift = Vector256.Create(T.CreateTruncating(halfRow[q]));
            var source = x.AsSpan(q * Tile, columnCount);
            var target = units.Slice(q * Tile, columnCount);
            for (int j = 0; j < columnCount; j += lanes)
            {
                var exponent = Vector256.Create<T>(source.Slice(j, lanes)) - (rowShift + Vector256.Create<T>(shiftedColumns.Slice(j, lanes)));
                Simd.ExpNonPositive(exponent).CopyTo(target.Slice(j, lanes));
            }
        }
    }

    /// <summary>e = exp(a - ceiling) (0 where a = -inf), four at a time.</summary>
    private static void ExpDifferences(ReadOnlySpan<double> values, double ceiling, Span<double> results)
    {
        var top = Vector256.Create(ceiling);
        int j = 0;
        for (; j + 4 <= values.Length; j += 4)
            Simd.ExpNonPositive(Vector256.Create(values.Slice(j, 4)) - top).CopyTo(results.Slice(j, 4));
        for (; j < values.Length; j++) results[j] = Math.Exp(values[j] - ceiling);
    }

    /// <summary>target = block^T, 64 x 64: in 8 x 8 (float32) or 4 x 4 (float64) squares of AVX shuffles where the CPU has them.</summary>
    private static void Transpose(ReadOnlySpan<T> block, T[] target)
    {
        fixed (T* source = block)
        fixed (T* destination = target)
        {
            if (Avx.IsSupported && typeof(T) == typeof(float))
            {
                for (int i = 0; i < Tile; i += 8)
                    for (int j = 0; j < Tile; j += 8) Transpose8((float*)source + i * Tile + j, (float*)destination + j * Tile + i);
                return;
            }
            if (Avx.IsSupported && typeof(T) == typeof(double))
            {
                for (int i = 0; i < Tile; i += 4)
                    for (int j = 0; j < Tile; j += 4) Transpose4((double*)source + i * Tile + j, (double*)destination + j * Tile + i);
                return;
            }
            for (int i = 0; i < Tile; i++)
                for (int j = 0; j < Tile; j++) destination[j * Tile + i] = source[i * Tile + j];
        }
    }

    private static void Transpose8(float* source, float* target)
    {
        var r0 = Avx.LoadVector256(source); var r1 = Avx.LoadVector256(source + Tile);
        var r2 = Avx.LoadVector256(source + 2 * Tile); var r3 = Avx.LoadVector256(source + 3 * Tile);
        var r4 = Avx.LoadVector256(source + 4 * Tile); var r5 = Avx.LoadVector256(source + 5 * Tile);
        var r6 = Avx.LoadVector256(source + 6 * Tile); var r7 = Avx.LoadVector256(source + 7 * Tile);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(target, Avx.Permute2x128(s0, s4, 0x20)); Avx.Store(target + Tile, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(target + 2 * Tile, Avx.Permute2x128(s2, s6, 0x20)); Avx.Store(target + 3 * Tile, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(target + 4 * Tile, Avx.Permute2x128(s0, s4, 0x31)); Avx.Store(target + 5 * Tile, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(target + 6 * Tile, Avx.Permute2x128(s2, s6, 0x31)); Avx.Store(target + 7 * Tile, Avx.Permute2x128(s3, s7, 0x31));
    }

    private static void Transpose4(double* source, double* target)
    {
        var r0 = Avx.LoadVector256(source); var r1 = Avx.LoadVector256(source + Tile);
        var r2 = Avx.LoadVector256(source + 2 * Tile); var r3 = Avx.LoadVector256(source + 3 * Tile);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        Avx.Store(target, Avx.Permute2x128(t0, t2, 0x20)); Avx.Store(target + Tile, Avx.Permute2x128(t1, t3, 0x20));
        Avx.Store(target + 2 * Tile, Avx.Permute2x128(t0, t2, 0x31)); Avx.Store(target + 3 * Tile, Avx.Permute2x128(t1, t3, 0x31));
    }

    /// <summary>G'_j = e_j G_j for the tile's rows of G.</summary>
    private static void ScaleRows(ReadOnlySpan<double> g, ReadOnlySpan<double> factors, int width, Span<double> scaled)
    {
        for (int j = 0; j < factors.Length; j++)
        {
            var factor = Vector256.Create(factors[j]);
            var source = g.Slice(j * width, width);
            var target = scaled.Slice(j * width, width);
            for (int k = 0; k < width; k += 4) (Vector256.Create(source.Slice(k, 4)) * factor).CopyTo(target.Slice(k, 4));
        }
    }

    /// <summary>max_j u_j e_j, in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double LargestProduct(ReadOnlySpan<T> units, ReadOnlySpan<double> factors)
    {
        var max = Vector256<double>.Zero;
        for (int j = 0; j < units.Length; j += 4)
            max = Vector256.MaxNative(max, Simd.WidenFour(units.Slice(j, 4)) * Vector256.Create(factors.Slice(j, 4)));
        return Simd.HorizontalMax(max);
    }

    /// <summary>max_q u[q][j] e_q over the block's rows q (one per factor): column j of the block, whose rows are the
    /// other side's columns.</summary>
    private static double LargestInColumn(ReadOnlySpan<T> units, ReadOnlySpan<double> rowFactors, int column)
    {
        double largest = 0;
        for (int q = 0; q < rowFactors.Length; q++) largest = Math.Max(largest, double.CreateTruncating(units[q * Tile + column]) * rowFactors[q]);
        return largest;
    }
}
