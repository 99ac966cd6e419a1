using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>How a pass treats the pair (q, q) when the queries are the training rows (the CPU engine's DiagonalRule).</summary>
internal enum Diagonal
{
    /// <summary>The queries are other rows (prediction).</summary>
    None = 0,

    /// <summary>Leave (q, q) out (spreading zeroes W's diagonal).</summary>
    Exclude = 1,

    /// <summary>Keep (q, q) with r = 0 exactly (propagation).</summary>
    Zero = 2,
}

/// <summary>The scalar arguments of one launch of <see cref="RbfKernels.Pass{T, TReal}"/>.</summary>
internal struct RbfPassArgs<T> where T : unmanaged
{
    /// <summary>Features per row.</summary>
    public int Dims;

    /// <summary>Row width of G and of the sums.</summary>
    public int Classes;

    /// <summary>Query rows [FirstQuery, QueryEnd) of this launch.</summary>
    public int FirstQuery, QueryEnd;

    /// <summary>Columns [FirstColumn, ColumnEnd) of this launch; the running maxima and sums carry over between launches.</summary>
    public int FirstColumn, ColumnEnd;

    /// <summary>Columns a group walks per segment (a segment ends in a partial tile unless it is a multiple of the tile width).</summary>
    public int ColumnSegment;

    /// <summary>Threads along the columns; the tile is 4 x group rows by 4 x ThreadsX columns.</summary>
    public int ThreadsX;

    /// <summary>Features staged in shared memory per step.</summary>
    public int FeatureChunk;

    /// <summary>Classes of G staged in shared memory per step.</summary>
    public int ClassChunk;

    /// <summary>A <see cref="Kernels.Diagonal"/>.</summary>
    public int Diagonal;

    /// <summary>1: subtract the shifts s_q and s_j (spreading); 0: no shifts.</summary>
    public int Shifted;

    public T Gamma;

    /// <summary>Exponents gamma r beyond this count as zero affinity (+inf: no cut).</summary>
    public T Cut;
}

/// <summary>
/// The rbf kernels: the tiled pass that every rbf stage is made of (degrees, every iteration, prediction) and
/// the small per-row kernels around it. The pass computes, for each query row q, without holding more than a
/// tile of pairs (FlashAttention's online maximum),
/// <code>
///   b_qj  = v_j - ((gamma r_qj + s_q) + s_j)   (-inf where gamma r_qj exceeds the cut or the pair is excluded)
///   h_q   = max_j b_qj
///   acc_q = sum_j exp(b_qj - h_q) G_j
/// </code>
/// with the weights in T (float operations only in the float32 kernels) and acc_q in float64: F's log-scales and
/// rows are float64 on the device by design (scikit-learn's absolute L1 test over all n x c entries would read
/// float32 rounding at large n), so each tile's compensated float32 total is added into the float64 row state.
/// </summary>
internal static class RbfKernels
{
    /// <summary>Shared-memory values (of T) one group of the pass needs.</summary>
    public static int PassSharedValues(int threads, int threadsX, int featureChunk, int classChunk)
    {
        int rows = 4 * (threads / threadsX), columns = 4 * threadsX;
        return DistanceTile.SharedValues(rows, columns, featureChunk) + rows * (columns + 1) + columns * classChunk + rows * threadsX + rows;
    }

    /// <summary>
    /// One launch of the pass over query rows [FirstQuery, QueryEnd) and columns [FirstColumn, ColumnEnd):
    /// groups go over row tiles, each group walks the column tiles in order, updating its rows' running
    /// maxima (<paramref name="maxima"/>, -inf before the first launch) and sums (<paramref name="sums"/>, 0 before).
    /// </summary>
    [Kernel(grouped: true)]
    public static void Pass<T, TReal>(
        ArrayView<T> queries,        // query rows, row-major, centred like the columns
        ArrayView<T> queryNorms,     // their squared norms
        ArrayView<T> queryShifts,    // s_q per query row (read when Shifted)
        ArrayView<T> columns,        // training rows, row-major
        ArrayView<T> columnNorms,    // their squared norms
        ArrayView<T> columnShifts,   // s_j per column (read when Shifted)
        ArrayView<T> columnOffsets,  // v_j per column; -inf leaves the column out
        ArrayView<T> g,              // G: Classes values per column, in T
        ArrayView<T> maxima,         // h_q per query row, running
        ArrayView<double> sums,      // acc_q: Classes float64 values per query row, running
        RbfPassArgs<T> args)         // sizes, ranges, tile shape, gamma, cut
        where T : unmanaged where TReal : struct, IReal<T>
    {
        var t = new TileThread(args.ThreadsX);
        int rowBase = args.FirstQuery + Grid.IdxX * t.Rows;
        int classChunk = args.ClassChunk;
        int weightStride = t.Columns + 1;
        var shared = SharedMemory.GetDynamic<T>();
        int weightBase = DistanceTile.SharedValues(t.Rows, t.Columns, args.FeatureChunk);
        int gBase = weightBase + t.Rows * weightStride;
        int partialBase = gBase + t.Columns * classChunk;
        int rescaleBase = partialBase + t.Rows * t.ThreadsX;

        T m0 = RunningMax<T, TReal>(maxima, rowBase + t.Row(0), args.QueryEnd);
        T m1 = RunningMax<T, TReal>(maxima, rowBase + t.Row(1), args.QueryEnd);
        T m2 = RunningMax<T, TReal>(maxima, rowBase + t.Row(2), args.QueryEnd);
        T m3 = RunningMax<T, TReal>(maxima, rowBase + t.Row(3), args.QueryEnd);

        for (int segment = args.FirstColumn; segment < args.ColumnEnd; segment += args.ColumnSegment)
        {
            var tile = args;
            tile.ColumnEnd = Math.Min(args.ColumnEnd, segment + args.ColumnSegment);
            for (int tileStart = segment; tileStart < tile.ColumnEnd; tileStart += t.Columns)
            {
                // Distances, then exponents b in registers.
                var r = DistanceTile.SquaredDistances<T, TReal>(t, shared, queries, queryNorms, rowBase, args.QueryEnd,
                    columns, columnNorms, tileStart, tile.ColumnEnd, args.Dims, args.FeatureChunk);
                var column = LoadColumns<T, TReal>(t, tileStart, columnShifts, columnOffsets, tile);
                var b = new Block<T>
                {
                    R0 = Exponents<T, TReal>(r.R0, rowBase + t.Row(0), column, queryShifts, tile),
                    R1 = Exponents<T, TReal>(r.R1, rowBase + t.Row(1), column, queryShifts, tile),
                    R2 = Exponents<T, TReal>(r.R2, rowBase + t.Row(2), column, queryShifts, tile),
                    R3 = Exponents<T, TReal>(r.R3, rowBase + t.Row(3), column, queryShifts, tile),
                };

                // The tile's row maxima, from every thread's four columns.
                shared[partialBase + t.Row(0) * t.ThreadsX + t.X] = b.R0.Max<TReal>();
                shared[partialBase + t.Row(1) * t.ThreadsX + t.X] = b.R1.Max<TReal>();
                shared[partialBase + t.Row(2) * t.ThreadsX + t.X] = b.R2.Max<TReal>();
                shared[partialBase + t.Row(3) * t.ThreadsX + t.X] = b.R3.Max<TReal>();
                Group.Barrier();

                // New running maxima, the rescale of the old sums, and the weights exp(b - h).
                m0 = Weigh<T, TReal>(t, shared, 0, b.R0, m0, partialBase, rescaleBase, weightBase, weightStride);
                m1 = Weigh<T, TReal>(t, shared, 1, b.R1, m1, partialBase, rescaleBase, weightBase, weightStride);
                m2 = Weigh<T, TReal>(t, shared, 2, b.R2, m2, partialBase, rescaleBase, weightBase, weightStride);
                m3 = Weigh<T, TReal>(t, shared, 3, b.R3, m3, partialBase, rescaleBase, weightBase, weightStride);
                Group.Barrier();

                // acc_q = acc_q exp(h_old - h_new) + sum_j w_qj G_j, classes staged in chunks.
                int valid = Math.Min(t.Columns, tile.ColumnEnd - tileStart);
                for (int c0 = 0; c0 < args.Classes; c0 += classChunk)
                {
                    int width = Math.Min(classChunk, args.Classes - c0);
                    for (int e = t.Index; e < t.Columns * classChunk; e += t.Threads)
                    {
                        int col = e / classChunk, k = e - col * classChunk, j = tileStart + col;
                        shared[gBase + e] = j < tile.ColumnEnd && k < width ? g[(long)j * args.Classes + c0 + k] : TReal.Zero();
                    }
                    Group.Barrier();
                    for (int o = t.Index; o < t.Rows * classChunk; o += t.Threads)
                    {
                        int row = o / classChunk, k = o - row * classChunk, q = rowBase + row;
                        if (q >= args.QueryEnd || k >= width) continue;
                        var sum = new Sum<T> { Value = TReal.Zero(), Compensation = TReal.Zero() };
                        int weightRow = weightBase + row * weightStride;
                        for (int col = 0; col < valid; col++)
                            sum = TReal.Accumulate(sum, shared[weightRow + col], shared[gBase + col * classChunk + k]);
                        long index = (long)q * args.Classes + c0 + k;
                        double total = sums[index];
                        T rescale = shared[rescaleBase + row];
                        if (!TReal.IsZero(rescale)) total = DeviceMath.Multiply(total, DeviceMath.Exp(TReal.ToDouble(rescale)));
                        sums[index] = total + (TReal.ToDouble(sum.Value) - TReal.ToDouble(sum.Compensation));
                    }
                    Group.Barrier();
                }
            }
        }

        if (t.X == 0)
        {
            StoreMax(maxima, rowBase + t.Row(0), args.QueryEnd, m0);
            StoreMax(maxima, rowBase + t.Row(1), args.QueryEnd, m1);
            StoreMax(maxima, rowBase + t.Row(2), args.QueryEnd, m2);
            StoreMax(maxima, rowBase + t.Row(3), args.QueryEnd, m3);
        }
    }

    /// <summary>A thread's four columns and their shifts and offsets.</summary>
    private struct Columns<T> where T : unmanaged
    {
        public int J0, J1, J2, J3;
        public T S0, S1, S2, S3;
        public T V0, V1, V2, V3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Columns<T> LoadColumns<T, TReal>(TileThread t, int tileStart, ArrayView<T> shifts, ArrayView<T> offsets, RbfPassArgs<T> args)
        where T : unmanaged where TReal : struct, IReal<T>
    {
        int j0 = tileStart + t.Column(0), j1 = tileStart + t.Column(1), j2 = tileStart + t.Column(2), j3 = tileStart + t.Column(3);
        return new Columns<T>
        {
            J0 = j0, J1 = j1, J2 = j2, J3 = j3,
            S0 = Shift<T, TReal>(shifts, j0, args), S1 = Shift<T, TReal>(shifts, j1, args),
            S2 = Shift<T, TReal>(shifts, j2, args), S3 = Shift<T, TReal>(shifts, j3, args),
            V0 = Offset<T, TReal>(offsets, j0, args), V1 = Offset<T, TReal>(offsets, j1, args),
            V2 = Offset<T, TReal>(offsets, j2, args), V3 = Offset<T, TReal>(offsets, j3, args),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Offset<T, TReal>(ArrayView<T> offsets, int index, RbfPassArgs<T> args) where T : unmanaged where TReal : struct, IReal<T>
        => index < args.ColumnEnd ? offsets[index] : TReal.NegativeInfinity();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Shift<T, TReal>(ArrayView<T> shifts, int index, RbfPassArgs<T> args) where T : unmanaged where TReal : struct, IReal<T>
        => args.Shifted != 0 && index < args.ColumnEnd ? shifts[index] : TReal.Zero();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T RunningMax<T, TReal>(ArrayView<T> maxima, int q, int end) where T : unmanaged where TReal : struct, IReal<T>
        => q < end ? maxima[q] : TReal.NegativeInfinity();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMax<T>(ArrayView<T> maxima, int q, int end, T value) where T : unmanaged
    {
        if (q < end) maxima[q] = value;
    }

    /// <summary>The exponents of one query row at the thread's four columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Quad<T> Exponents<T, TReal>(Quad<T> distances, int q, Columns<T> column, ArrayView<T> queryShifts, RbfPassArgs<T> args)
        where T : unmanaged where TReal : struct, IReal<T>
    {
        bool valid = q < args.QueryEnd;
        T rowShift = valid && args.Shifted != 0 ? queryShifts[q] : TReal.Zero();
        return new Quad<T>
        {
            C0 = Exponent<T, TReal>(distances.C0, valid, q, column.J0, rowShift, column.S0, column.V0, args),
            C1 = Exponent<T, TReal>(distances.C1, valid, q, column.J1, rowShift, column.S1, column.V1, args),
            C2 = Exponent<T, TReal>(distances.C2, valid, q, column.J2, rowShift, column.S2, column.V2, args),
            C3 = Exponent<T, TReal>(distances.C3, valid, q, column.J3, rowShift, column.S3, column.V3, args),
        };
    }

    /// <summary>
    /// b = v_j - ((gamma r + s_q) + s_j), -inf beyond the cut; on the diagonal -inf (Exclude) or v_q - (s_q + s_q)
    /// (Zero: r_qq = 0 exactly). The same operations in the same order as the CPU engine's ToExponents.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Exponent<T, TReal>(T distance, bool validRow, int q, int j, T rowShift, T columnShift, T offset, RbfPassArgs<T> args)
        where T : unmanaged where TReal : struct, IReal<T>
    {
        if (!validRow || j >= args.ColumnEnd) return TReal.NegativeInfinity();
        if (args.Diagonal != (int)Diagonal.None && q == j)
            return args.Diagonal == (int)Diagonal.Exclude ? TReal.NegativeInfinity() : TReal.Subtract(offset, TReal.Add(rowShift, rowShift));
        T scaled = TReal.Multiply(args.Gamma, distance);
        if (TReal.Greater(scaled, args.Cut)) return TReal.NegativeInfinity();
        return TReal.Subtract(offset, TReal.Add(TReal.Add(scaled, rowShift), columnShift));
    }

    /// <summary>
    /// For the thread's r-th row: the tile maximum from the partial maxima, the new running maximum, the
    /// rescale exponent h_old - h_new of the old sums (0: none; written once per row), and the weights.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Weigh<T, TReal>(TileThread t, ArrayView<T> shared, int r, Quad<T> b, T runningMax,
        int partialBase, int rescaleBase, int weightBase, int weightStride)
        where T : unmanaged where TReal : struct, IReal<T>
    {
        int row = t.Row(r);
        T tileMax = TReal.NegativeInfinity();
        for (int x = 0; x < t.ThreadsX; x++) tileMax = TReal.Max(tileMax, shared[partialBase + row * t.ThreadsX + x]);
        bool grows = TReal.Greater(tileMax, runningMax);
        T newMax = grows ? tileMax : runningMax;
        if (t.X == 0)
            shared[rescaleBase + row] = grows && !TReal.IsNegativeInfinity(runningMax) ? TReal.Subtract(runningMax, tileMax) : TReal.Zero();
        // exp(b - h): -inf - h and -inf - (-inf) = NaN both give 0 (ExpNonPositive returns 0 below its range and for NaN).
        int weightRow = weightBase + row * weightStride;
        shared[weightRow + t.Column(0)] = TReal.ExpNonPositive(TReal.Subtract(b.C0, newMax));
        shared[weightRow + t.Column(1)] = TReal.ExpNonPositive(TReal.Subtract(b.C1, newMax));
        shared[weightRow + t.Column(2)] = TReal.ExpNonPositive(TReal.Subtract(b.C2, newMax));
        shared[weightRow + t.Column(3)] = TReal.ExpNonPositive(TReal.Subtract(b.C3, newMax));
        return newMax;
    }

    /// <summary>
    /// The degree pass's result, per row: D_i = exp(h_i) Dt_i; s_i = h_i / 2 and log(Dt_i) / 2. A row with no
    /// affinity left has degree 1 (scikit-learn's rule): h = 0, Dt = 1.
    /// </summary>
    [Kernel(grouped: false)]
    public static void Degrees<T, TReal>(
        Index1D i,                        // row
        ArrayView<T> maxima,              // h_i of the degree pass
        ArrayView<double> sums,           // Dt_i of the degree pass (one class)
        ArrayView<T> halfMaxima,          // out: s_i = h_i / 2
        ArrayView<double> halfLogDegree)  // out: log(Dt_i) / 2
        where T : unmanaged where TReal : struct, IReal<T>
    {
        if (i >= maxima.Length) return;
        T max = maxima[i];
        bool isolated = TReal.IsNegativeInfinity(max);
        halfMaxima[i] = isolated ? TReal.Zero() : TReal.Multiply(TReal.FromSingle(0.5f), max);
        halfLogDegree[i] = isolated ? 0.0 : DeviceMath.Multiply(0.5, DeviceMath.Log(sums[i]));
    }

    /// <summary>Before an iteration's pass: column offsets v_j (l_j - log(Dt_j)/2 for spreading, l_j for propagation) and G in T.</summary>
    [Kernel(grouped: false)]
    public static void PrepareApply<T, TReal>(
        Index1D j,                        // column
        ArrayView<double> logScale,       // l_j
        ArrayView<double> halfLogDegree,  // log(Dt_j)/2 (spreading)
        ArrayView<double> g,              // G, classes values per row (float64 state)
        ArrayView<T> offsets,             // out: v_j in T
        ArrayView<T> gT,                  // out: G in T
        int classes,                      // row width of G
        int spreading)                    // 1: spreading, 0: propagation
        where T : unmanaged where TReal : struct, IReal<T>
    {
        if (j >= offsets.Length) return;
        offsets[j] = TReal.FromDouble(spreading != 0 ? logScale[j] - halfLogDegree[j] : logScale[j]);
        for (int k = 0; k < classes; k++)
        {
            long index = (long)j.X * classes + k;
            if (index < gT.Length) gT[index] = TReal.FromDouble(g[index]);
        }
    }

    /// <summary>After an iteration's pass: (Op F)_i = exp(outLog_i) sums_i with outLog_i = h_i (- log(Dt_i)/2 for spreading).</summary>
    [Kernel(grouped: false)]
    public static void FinishApply<T, TReal>(
        Index1D i,                        // row
        ArrayView<T> maxima,              // h_i of the pass
        ArrayView<double> halfLogDegree,  // log(Dt_i)/2 (spreading)
        ArrayView<double> outLog,         // out: the row's log-scale
        int spreading)                    // 1: spreading, 0: propagation
        where T : unmanaged where TReal : struct, IReal<T>
    {
        if (i >= outLog.Length) return;
        outLog[i] = TReal.ToDouble(maxima[i]) - (spreading != 0 ? halfLogDegree[i] : 0.0);
    }

    /// <summary>Before prediction: offsets 0 for training rows with label mass, -inf for all-zero rows; G = the distributions in T.</summary>
    [Kernel(grouped: false)]
    public static void PreparePredict<T, TReal>(
        Index1D j,                        // training row
        ArrayView<double> distributions,  // the fitted distributions, classes values per row
        ArrayView<T> offsets,             // out: v_j
        ArrayView<T> gT,                  // out: the distributions in T
        int classes)                      // row width
        where T : unmanaged where TReal : struct, IReal<T>
    {
        if (j >= offsets.Length) return;
        bool any = false;
        for (int k = 0; k < classes; k++)
        {
            long index = (long)j.X * classes + k;
            double value = index < distributions.Length ? distributions[index] : 0.0;
            any |= value != 0.0;
            if (index < gT.Length) gT[index] = TReal.FromDouble(value);
        }
        offsets[j] = any ? TReal.Zero() : TReal.NegativeInfinity();
    }
}
