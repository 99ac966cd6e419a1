using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// The rbf passes over the training rows with every pair's weight computed once and stored once: W is symmetric,
/// so each (row tile I, column tile J) block with I &lt;= J serves the rows of I against the columns of J and, read
/// by columns, the rows of J against the columns of I. This halves the distances, the exponentials and the memory
/// of <see cref="WeightCache{T}"/>, which keeps each pair twice (once per row) and computes it twice before it keeps
/// it; in exchange it never skips a tile, so it is the better choice where few tiles can be skipped (real data, whose
/// classes overlap), and the worse one where most can (<see cref="Prunability"/>).
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
    /// <summary>The index of block (I, I); block (I, J) follows at + (J - I).</summary>
    private readonly long[] _diagonalBlocks;
    /// <summary>m_qJ per (padded row, tile), row-major.</summary>
    private readonly T[] _tileMaxima;
    private T* _blocks;
    private bool _filled;

    /// <summary>Bytes the store takes for <paramref name="paddedRows"/> rows of <paramref name="valueBytes"/>-byte values.</summary>
    public static long Bytes(int paddedRows, int valueBytes)
    {
        long tiles = (paddedRows + Tile - 1) / Tile;
        return (tiles * (tiles + 1) / 2 * Tile * Tile + tiles * paddedRows) * valueBytes;
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
        _diagonalBlocks = new long[_tiles];
        for (int tile = 1; tile < _tiles; tile++) _diagonalBlocks[tile] = _diagonalBlocks[tile - 1] + (_tiles - tile + 1);
        _tileMaxima = new T[(long)rows.PaddedRows * _tiles];
        long blocks = (long)_tiles * (_tiles + 1) / 2;
        nuint bytes = (nuint)blocks * Tile * Tile * (nuint)sizeof(T);
        _blocks = (T*)NativeMemory.AlignedAlloc(bytes, 64);
        GC.AddMemoryPressure((long)bytes);
        BlockBytes = (long)bytes;
    }

    /// <summary>Memory held for the blocks (faulted in by the first pass).</summary>
    public long BlockBytes { get; }

    public PackedRows<T> Rows => _rows;

    /// <summary>
    /// The fraction of (row, column tile) pairs that the per-row passes of <see cref="RbfPass{T}"/> could skip once
    /// they know each tile's largest term: those whose every exponent is more than <see cref="RbfPass{T}.PruneMargin"/>
    /// below the row's largest. Measured exactly on up to <paramref name="sampleRows"/> rows spread over the data.
    /// </summary>
    public static double Prunability(PackedRows<T> rows, double gamma, double cut, int columnTile, int sampleRows, CancellationToken cancellation)
    {
        int samples = Math.Min(sampleRows, rows.Rows) / Group * Group;
        if (samples == 0) return 0;
        int tiles = (rows.PaddedRows + columnTile - 1) / columnTile;
        long prunable = 0;
        Parallel.For(0, samples / Group, new ParallelOptions { CancellationToken = cancellation },
            () => (Distances: new T[Group * columnTile], TileMaxima: new double[Group * tiles], Count: 0L),
            (group, _, local) =>
            {
                // Evenly spread groups of four neighbouring rows.
                int first = (int)((long)group * Group * rows.Rows / samples) / Group * Group;
                int count = Math.Min(Group, rows.Rows - first);
                for (int tile = 0; tile < tiles; tile++)
                {
                    int start = tile * columnTile, columns = Math.Min(columnTile, rows.PaddedRows - start);
                    DistanceKernel.SquaredDistances(rows.RowMajor, rows.Norms, first, count, rows, start, columns, local.Distances, columnTile);
                    for (int r = 0; r < count; r++)
                    {
                        double largest = double.NegativeInfinity;
                        for (int j = 0; j < columns && start + j < rows.Rows; j++)
                        {
                            double scaled = gamma * double.CreateTruncating(local.Distances[r * columnTile + j]);
                            if (start + j != first + r && scaled <= cut) largest = Math.Max(largest, -scaled);
                        }
                        local.TileMaxima[r * tiles + tile] = largest;
                    }
                }
                for (int r = 0; r < count; r++)
                {
                    var maxima = local.TileMaxima.AsSpan(r * tiles, tiles);
                    double rowMax = double.NegativeInfinity;
                    foreach (double m in maxima) rowMax = Math.Max(rowMax, m);
                    foreach (double m in maxima)
                        if (m < rowMax - RbfPass<T>.PruneMargin) local.Count++;
                }
                return local;
            },
            local => Interlocked.Add(ref prunable, local.Count));
        return (double)prunable / ((long)samples * tiles);
    }

    /// <summary>Runs a pass (the same contract as <see cref="RbfPass{T}.Run"/> over the training rows): h_q into
    /// <paramref name="maxima"/>, acc_q into <paramref name="sums"/>. The first pass also fills the store.</summary>
    public void Run(in RbfPass<T>.Inputs inputs, T[] maxima, double[] sums, CancellationToken cancellation)
    {
        if (inputs.Diagonal != _diagonal || inputs.QueryRows != _rows.Rows || !ReferenceEquals(inputs.Queries, _rows.RowMajor))
            throw new ArgumentException("the symmetric store only runs the training rows against themselves, with its own diagonal rule", nameof(inputs));
        ObjectDisposedException.ThrowIf(_blocks == null, this);
        var pass = new Pass(this, inputs);
        bool fill = !_filled;
        int padded = _rows.PaddedRows, width = inputs.Width;
        var rowMaxima = new double[padded];
        rowMaxima.AsSpan().Fill(double.NegativeInfinity);
        var merged = new double[(long)padded * width];
        var gate = new object();
        // Row tiles in pairs (I, tiles - 1 - I): each pair holds tiles + 1 blocks, so the work items are equal.
        Parallel.For(0, (_tiles + 1) / 2, new ParallelOptions { CancellationToken = cancellation },
            () => new Scratch(padded, width),
            (item, _, scratch) =>
            {
                pass.RowTile(item, fill, scratch, cancellation);
                if (_tiles - 1 - item != item) pass.RowTile(_tiles - 1 - item, fill, scratch, cancellation);
                return scratch;
            },
            scratch =>
            {
                lock (gate) Merge(scratch, rowMaxima, merged, width);
            });
        _filled = true;
        for (int q = 0; q < inputs.QueryRows; q++)
        {
            var rowSums = sums.AsSpan(q * width, width);
            if (double.IsNegativeInfinity(rowMaxima[q]))
            {
                maxima[q] = T.NegativeInfinity;
                rowSums.Clear();
                continue;
            }
            // The sums must be relative to the maximum as T holds it.
            maxima[q] = T.CreateTruncating(rowMaxima[q]);
            double factor = Math.Exp(rowMaxima[q] - double.CreateTruncating(maxima[q]));
            for (int k = 0; k < width; k++) rowSums[k] = merged[(long)q * width + k] * factor;
        }
    }

    /// <summary>Adds one worker's rows (h, acc) into the merged ones, as log-sum-exp pairs.</summary>
    private static void Merge(Scratch scratch, double[] rowMaxima, double[] sums, int width)
    {
        for (int q = 0; q < rowMaxima.Length; q++)
        {
            double theirs = scratch.RowMaxima[q];
            if (double.IsNegativeInfinity(theirs)) continue;
            var target = sums.AsSpan(q * width, width);
            var source = scratch.Sums.AsSpan(q * width, width);
            double ours = rowMaxima[q];
            if (theirs > ours)
            {
                double down = double.IsNegativeInfinity(ours) ? 0 : Math.Exp(ours - theirs);
                for (int k = 0; k < width; k++) target[k] = target[k] * down + source[k];
                rowMaxima[q] = theirs;
            }
            else
            {
                double down = Math.Exp(theirs - ours);
                for (int k = 0; k < width; k++) target[k] += source[k] * down;
            }
        }
    }

    public void Dispose()
    {
        if (_blocks == null) return;
        NativeMemory.AlignedFree(_blocks);
        _blocks = null;
        GC.RemoveMemoryPressure(BlockBytes);
        GC.SuppressFinalize(this);
    }

    ~SymmetricWeights() => Dispose();

    private T* Block(int rowTile, int columnTile) => _blocks + (_diagonalBlocks[rowTile] + (columnTile - rowTile)) * Tile * Tile;

    private int TileWidth(int tile) => Math.Min(Tile, _rows.PaddedRows - tile * Tile);

    private Span<T> TileMaxima(int row) => _tileMaxima.AsSpan((int)((long)row * _tiles), _tiles);

    /// <summary>One worker's rows of (h, acc) over every row, and its buffers for a block.</summary>
    private sealed class Scratch
    {
        public Scratch(int paddedRows, int width)
        {
            RowMaxima = new double[paddedRows];
            RowMaxima.AsSpan().Fill(double.NegativeInfinity);
            Sums = new double[(long)paddedRows * width];
            Spare = new double[width];
        }

        public readonly double[] RowMaxima;
        public readonly double[] Sums;
        public readonly double[] Spare;
        /// <summary>A block's squared distances, then exponents.</summary>
        public readonly T[] Exponents = new T[Tile * Tile];
        /// <summary>One row's distances or exponents on a tile, when formed in full (four rows: the kernel's step).</summary>
        public readonly T[] FullRow = new T[Group * Tile];
        public readonly double[] Weights = new double[Tile * Tile];
        public readonly double[] Offsets = new double[Tile];
        public readonly double[] Factors = new double[Tile];
        public readonly double[] Largest = new double[Tile];
        public readonly double[] RowFactors = new double[Tile];
        public readonly double[] HalfRowMaxima = new double[Tile];
        public readonly double[] HalfColumnMaxima = new double[Tile];
    }

    /// <summary>One pass's inputs over the store: o_j = v_j - s_j (-inf for padding) and s_q, in float64.</summary>
    private sealed class Pass
    {
        private readonly SymmetricWeights<T> _store;
        private readonly RbfPass<T>.Inputs _inputs;
        private readonly double[] _offsets;
        private readonly double[] _shifts;

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
        }

        public void RowTile(int rowTile, bool fill, Scratch scratch, CancellationToken cancellation)
        {
            for (int columnTile = rowTile; columnTile < _store._tiles; columnTile++)
            {
                cancellation.ThrowIfCancellationRequested();
                if (fill) _store.Fill(rowTile, columnTile, scratch);
                Side(rowTile, columnTile, transposed: false, scratch);
                if (columnTile != rowTile) Side(rowTile, columnTile, transposed: true, scratch);
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
            var offsets = scratch.Offsets.AsSpan(0, columnCount);
            double ceiling = double.NegativeInfinity;
            for (int j = 0; j < columnCount; j++)
            {
                double m = double.CreateTruncating(store._tileMaxima[(long)(columnStart + j) * store._tiles + rowTile]);
                offsets[j] = 0.5 * m + _offsets[columnStart + j];
                ceiling = Math.Max(ceiling, offsets[j]);
            }
            if (double.IsNegativeInfinity(ceiling)) return;
            var factors = scratch.Factors.AsSpan(0, columnCount);
            ExpDifferences(offsets, ceiling, factors);

            // Weights w_qj = u_qj e_j in float64, laid out as the block is: [row of I][column of J].
            var units = new ReadOnlySpan<T>(store.Block(blockRowTile, blockColumnTile), Tile * Tile);
            var weights = scratch.Weights;
            var largest = scratch.Largest;
            if (!transposed)
                for (int q = 0; q < rowCount; q++)
                    largest[q] = RbfPass<T>.MultiplyAndMax(units.Slice(q * Tile, columnCount), factors, weights.AsSpan(q * Tile, columnCount));
            else
                ScaleRowsWithColumnMaxima(units, factors, rowCount, weights, largest);

            var rowMaxima = scratch.RowMaxima;
            var rowFactors = scratch.RowFactors;
            for (int q = 0; q < rowCount; q++)
            {
                int row = rowStart + q;
                rowFactors[q] = 0;
                double m = double.CreateTruncating(store._tileMaxima[(long)row * store._tiles + columnTile]);
                if (double.IsNegativeInfinity(m)) continue;
                // exp(x_qj + o_j - s_q) = exp(scaleExponent) u_qj e_j.
                double scaleExponent = ceiling + 0.5 * m - _shifts[row];
                if (largest[q] < RbfPass<T>.FactoredFloor
                    && scaleExponent + Simd.LogSmallestNormal<T>() >= rowMaxima[row] - RbfPass<T>.PruneMargin)
                {
                    WeighInFull(row, columnTile, transposed, q, scratch);
                    rowFactors[q] = 1;
                    continue;
                }
                if (largest[q] == 0) continue;
                if (scaleExponent > rowMaxima[row]) Raise(scratch, row, scaleExponent + Math.Log(largest[q]));
                rowFactors[q] = Math.Exp(scaleExponent - rowMaxima[row]);
            }

            int width = _inputs.Width;
            var g = _inputs.G.AsSpan(columnStart * width, columnCount * width);
            for (int q = 0; q < rowCount; q += Group)
            {
                var accumulators = scratch.Sums.AsSpan((rowStart + q) * width, Group * width);
                var groupFactors = rowFactors.AsSpan(q, Group);
                if (!transposed)
                    RbfPass<T>.Accumulate(weights.AsSpan(q * Tile), Tile, 1, columnCount, g, width, groupFactors, accumulators, scratch.Spare);
                else
                    RbfPass<T>.Accumulate(weights.AsSpan(q), 1, Tile, columnCount, g, width, groupFactors, accumulators, scratch.Spare);
            }
        }

        /// <summary>
        /// A row's terms on a tile from its exponents formed in full (where its unit weights may have underflowed):
        /// raises its running maximum and writes its weights exp(b - h) where <see cref="Side"/> reads them.
        /// </summary>
        private void WeighInFull(int row, int columnTile, bool transposed, int rowInTile, Scratch scratch)
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
            if (rowMax > scratch.RowMaxima[row]) Raise(scratch, row, rowMax);
            double h = scratch.RowMaxima[row];
            for (int j = 0; j < columnCount; j++)
            {
                double weight = double.IsNegativeInfinity(h) ? 0 : Math.Exp(terms[j] - h);
                if (transposed) scratch.Weights[j * Tile + rowInTile] = weight;
                else scratch.Weights[rowInTile * Tile + j] = weight;
            }
        }

        private void Raise(Scratch scratch, int row, double maximum)
        {
            double old = scratch.RowMaxima[row];
            if (!(maximum > old)) return;
            if (!double.IsNegativeInfinity(old))
            {
                var sums = scratch.Sums.AsSpan(row * _inputs.Width, _inputs.Width);
                double factor = Math.Exp(old - maximum);
                for (int k = 0; k < sums.Length; k++) sums[k] *= factor;
            }
            scratch.RowMaxima[row] = maximum;
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
                for (int j = 0; j < columnCount; j++)
                {
                    T scaled = _gamma * x[j];
                    x[j] = scaled > _cut || columnStart + j >= _rows.Rows ? T.NegativeInfinity : -scaled;
                }
                if (row >= columnStart && row < columnStart + columnCount)
                    x[row - columnStart] = _diagonal == DiagonalRule.Exclude ? T.NegativeInfinity : T.Zero;
            }
        }
    }

    /// <summary>Computes block (I, J): its exponents, the tile maxima of its rows on J and of its columns on I, and
    /// its unit weights.</summary>
    private void Fill(int rowTile, int columnTile, Scratch scratch)
    {
        int rowCount = TileWidth(rowTile), columnCount = TileWidth(columnTile);
        int rowStart = rowTile * Tile, columnStart = columnTile * Tile;
        var x = scratch.Exponents;
        Exponents(rowStart, rowCount, columnTile, x);
        var halfRow = scratch.HalfRowMaxima;
        var halfColumn = scratch.HalfColumnMaxima;
        halfColumn.AsSpan(0, columnCount).Fill(double.NegativeInfinity);
        for (int q = 0; q < rowCount; q++)
        {
            T max = T.NegativeInfinity;
            var row = x.AsSpan(q * Tile, columnCount);
            for (int j = 0; j < columnCount; j++)
            {
                max = T.Max(max, row[j]);
                halfColumn[j] = Math.Max(halfColumn[j], double.CreateTruncating(row[j]));
            }
            _tileMaxima[(long)(rowStart + q) * _tiles + columnTile] = max;
            halfRow[q] = double.CreateTruncating(max);
        }
        if (rowTile != columnTile)
            for (int j = 0; j < columnCount; j++) _tileMaxima[(long)(columnStart + j) * _tiles + rowTile] = T.CreateTruncating(halfColumn[j]);
        // u = exp(x - (m_q + m_j)/2); a row or column without any pair (m = -inf) has x = -inf throughout.
        for (int q = 0; q < rowCount; q++) halfRow[q] = double.IsNegativeInfinity(halfRow[q]) ? 0 : 0.5 * halfRow[q];
        for (int j = 0; j < columnCount; j++) halfColumn[j] = double.IsNegativeInfinity(halfColumn[j]) ? 0 : 0.5 * halfColumn[j];
        var units = new Span<T>(Block(rowTile, columnTile), Tile * Tile);
        Span<T> shiftedColumns = stackalloc T[Tile];
        for (int j = 0; j < columnCount; j++) shiftedColumns[j] = T.CreateTruncating(halfColumn[j]);
        int lanes = Vector256<T>.Count;
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

    /// <summary>w[q][j] = u[q][j] e_q (T widened to float64) for the block's rows q (one per factor) and its first
    /// <paramref name="columns"/> columns, and each column's largest w: the block read by columns, whose rows are the
    /// other side's columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleRowsWithColumnMaxima(ReadOnlySpan<T> units, ReadOnlySpan<double> rowFactors, int columns,
        double[] weights, double[] columnMaxima)
    {
        columnMaxima.AsSpan(0, columns).Clear();
        for (int q = 0; q < rowFactors.Length; q++)
        {
            var factor = Vector256.Create(rowFactors[q]);
            var source = units.Slice(q * Tile, columns);
            var target = weights.AsSpan(q * Tile, columns);
            for (int j = 0; j < columns; j += 4)
            {
                var widened = Simd.WidenFour(source.Slice(j, 4)) * factor;
                widened.CopyTo(target.Slice(j, 4));
                Vector256.MaxNative(Vector256.Create<double>(columnMaxima.AsSpan(j, 4)), widened).CopyTo(columnMaxima.AsSpan(j, 4));
            }
        }
    }
}
