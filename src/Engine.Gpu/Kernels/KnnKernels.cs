using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>The scalar arguments of one launch of <see cref="KnnKernels.Candidates{T, TReal}"/>.</summary>
internal struct KnnSearchArgs
{
    /// <summary>Features per row.</summary>
    public int Dims;

    /// <summary>Query rows [FirstQuery, QueryEnd) of this launch; the candidate lists are indexed from FirstQuery.</summary>
    public int FirstQuery, QueryEnd;

    /// <summary>Columns [FirstColumn, ColumnEnd) of this launch; the candidate lists carry over between launches.</summary>
    public int FirstColumn, ColumnEnd;

    /// <summary>Columns a group walks per segment.</summary>
    public int ColumnSegment;

    /// <summary>Threads along the columns (the tile shape of <see cref="TileThread"/>).</summary>
    public int ThreadsX;

    /// <summary>Features staged in shared memory per step.</summary>
    public int FeatureChunk;

    /// <summary>Candidates kept per query row: min(n, k + 4).</summary>
    public int Candidates;
}

/// <summary>
/// Exact brute-force k-nearest-neighbour search (FAISS's GPU brute force, in the CPU engine's semantics): a
/// tiled distance pass in T keeps each query row's best k + 4 candidates, sorted by (distance, index) so that
/// ties go to the lower index; a second kernel re-ranks them on float64 distances taken by direct differences,
/// so float32 rounding does not reorder near neighbours.
/// </summary>
internal static class KnnKernels
{
    /// <summary>Shared-memory values (of T) one group of <see cref="Candidates{T, TReal}"/> needs.</summary>
    public static int CandidatesSharedValues(int threads, int threadsX, int featureChunk)
    {
        int rows = 4 * (threads / threadsX), columns = 4 * threadsX;
        return DistanceTile.SharedValues(rows, columns, featureChunk) + rows * (columns + 1);
    }

    /// <summary>
    /// Merges every column tile of the launch into the candidate lists of the group's query rows: the tile's
    /// distances go through shared memory, then one thread per query row inserts them in column order.
    /// </summary>
    [Kernel(grouped: true)]
    public static void Candidates<T, TReal>(
        ArrayView<T> queries,         // query rows, row-major, centred like the columns
        ArrayView<T> queryNorms,      // their squared norms
        ArrayView<T> columns,         // training rows, row-major
        ArrayView<T> columnNorms,     // their squared norms
        ArrayView<T> bestDistance,    // per query row of the launch, Candidates distances sorted ascending (+inf: empty)
        ArrayView<int> bestIndex,     // their column indices (int.MaxValue: empty)
        KnnSearchArgs args)           // sizes, ranges, tile shape
        where T : unmanaged where TReal : struct, IReal<T>
    {
        var t = new TileThread(args.ThreadsX);
        int rowBase = args.FirstQuery + Grid.IdxX * t.Rows;
        var shared = SharedMemory.GetDynamic<T>();
        int distanceBase = DistanceTile.SharedValues(t.Rows, t.Columns, args.FeatureChunk);
        int stride = t.Columns + 1;
        for (int segment = args.FirstColumn; segment < args.ColumnEnd; segment += args.ColumnSegment)
        {
            int columnEnd = Math.Min(args.ColumnEnd, segment + args.ColumnSegment);
            for (int tileStart = segment; tileStart < columnEnd; tileStart += t.Columns)
            {
                var r = DistanceTile.SquaredDistances<T, TReal>(t, shared, queries, queryNorms, rowBase, args.QueryEnd,
                    columns, columnNorms, tileStart, columnEnd, args.Dims, args.FeatureChunk);
                Store(shared, distanceBase + t.Row(0) * stride, t, r.R0);
                Store(shared, distanceBase + t.Row(1) * stride, t, r.R1);
                Store(shared, distanceBase + t.Row(2) * stride, t, r.R2);
                Store(shared, distanceBase + t.Row(3) * stride, t, r.R3);
                Group.Barrier();
                // One thread per query row inserts the tile's distances in column order.
                for (int row = t.Index; row < t.Rows; row += t.Threads)
                {
                    int q = rowBase + row;
                    if (q >= args.QueryEnd) break;
                    int valid = Math.Min(t.Columns, columnEnd - tileStart);
                    long first = (long)(q - args.FirstQuery) * args.Candidates;
                    long last = first + args.Candidates - 1;
                    for (int column = 0; column < valid && last < bestDistance.Length; column++)
                    {
                        T distance = shared[distanceBase + row * stride + column];
                        int index = tileStart + column;
                        T worst = bestDistance[last];
                        if (TReal.Greater(distance, worst) || (!TReal.Greater(worst, distance) && index > bestIndex[last])) continue;
                        long position = last;
                        while (position > first && Before<T, TReal>(distance, index, bestDistance[position - 1], bestIndex[position - 1]))
                        {
                            bestDistance[position] = bestDistance[position - 1];
                            bestIndex[position] = bestIndex[position - 1];
                            position--;
                        }
                        bestDistance[position] = distance;
                        bestIndex[position] = index;
                    }
                }
                Group.Barrier();
            }
        }
    }

    private static void Store<T>(ArrayView<T> shared, int rowStart, TileThread t, Quad<T> values) where T : unmanaged
    {
        shared[rowStart + t.Column(0)] = values.C0;
        shared[rowStart + t.Column(1)] = values.C1;
        shared[rowStart + t.Column(2)] = values.C2;
        shared[rowStart + t.Column(3)] = values.C3;
    }

    /// <summary>(distance, index) sorts before (otherDistance, otherIndex).</summary>
    private static bool Before<T, TReal>(T distance, int index, T otherDistance, int otherIndex) where T : unmanaged where TReal : struct, IReal<T>
        => TReal.Greater(otherDistance, distance) || (!TReal.Greater(distance, otherDistance) && otherIndex > index);

    /// <summary>
    /// Re-ranks a query row's candidates by float64 distance from the rows as read (ties: lower index) and keeps
    /// the first k: the CPU engine's Refine.
    /// </summary>
    [Kernel(grouped: false)]
    public static void Refine(
        Index1D local,                   // query row within the launch
        ArrayView<double> queryFeatures, // all query rows as read, row-major
        ArrayView<double> columnFeatures,// training rows as read, row-major
        ArrayView<int> bestIndex,        // the launch's candidate lists (Candidates per row)
        ArrayView<double> exact,         // scratch: Candidates float64 distances per row
        ArrayView<int> order,            // scratch: Candidates positions per row
        ArrayView<int> neighbours,       // out: k neighbours per query row (all query rows)
        int firstQuery,                  // the launch's first query row
        int queryEnd,                    // one past its last
        int dims,                        // features per row
        int candidates,                  // Candidates per row
        int k)                           // neighbours kept
    {
        int q = firstQuery + local;
        if (q >= queryEnd) return;
        long first = (long)local.X * candidates;
        if (first + candidates > exact.Length || (long)(q + 1) * k > neighbours.Length) return;
        for (int c = 0; c < candidates; c++)
        {
            int column = bestIndex[first + c];
            double sum = 0;
            if ((long)(column + 1) * dims <= columnFeatures.Length)
                for (int f = 0; f < dims; f++)
                {
                    double difference = queryFeatures[(long)q * dims + f] - columnFeatures[(long)column * dims + f];
                    sum += DeviceMath.Multiply(difference, difference);
                }
            else sum = double.PositiveInfinity;
            exact[first + c] = sum;
            // Insertion sort of the positions by (exact distance, index).
            int b = c;
            while (b > 0 && Precedes(exact, bestIndex, first, c, order[first + b - 1]))
            {
                order[first + b] = order[first + b - 1];
                b--;
            }
            order[first + b] = c;
        }
        for (int n = 0; n < k; n++) neighbours[(long)q * k + n] = bestIndex[first + order[first + n]];
    }

    private static bool Precedes(ArrayView<double> exact, ArrayView<int> index, long first, int x, int y)
        => exact[first + x] < exact[first + y] || (exact[first + x] == exact[first + y] && index[first + x] < index[first + y]);
}
