using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using GpuSpread.Graphs;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Exact brute-force k-nearest-neighbour search, tiled like the rbf pass: the distance micro-kernel fills a
/// 4 x tile block and each row keeps its best candidates in a small sorted list. The columns are in
/// <see cref="SpatialOrder"/>; tiles are taken nearest first and a tile is skipped for a group of rows when
/// its distance bound exceeds every row's current k-th candidate, which leaves the result exact.
/// Candidates are ranked in the engine's precision with a few spare places, then re-ranked on float64
/// distances taken by direct differences, so float32 rounding does not reorder near neighbours.
/// Ties go to the lower original index. With many features a tile that its bound leaves is first checked pair by pair
/// on a few principal coordinates (<see cref="SubspaceBound{T}"/>), and computed in full only where a pair may enter.
/// </summary>
internal static class KnnSearch
{
    /// <summary>Spare candidates kept beyond k for the float64 re-ranking.</summary>
    private const int SpareCandidates = 4;

    /// <summary>The training side of a search: packed rows in spatial order, their tile bounds, the subspace bound (null
    /// without principal coordinates), and the centre queries are packed with.</summary>
    public sealed record Columns<T>(PackedRows<T> Packed, int[] Order, TileBounds<T> Bounds, SubspaceBound<T>? Subspace,
        FeatureMatrix Features, double[] Centre)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The rows' principal coordinates (null below <see cref="PrincipalCoordinates.MinFeatures"/> features) and the
    /// spatial order built on them, or on the features themselves where there are none.</summary>
    public static (PrincipalCoordinates? Principal, int[] Order) Arrange(FeatureMatrix features, double[] centre)
    {
        var principal = PrincipalCoordinates.TryCreate(features, centre);
        return (principal, SpatialOrder.Compute(principal?.Coordinates ?? features));
    }

    /// <summary>The training side for <paramref name="features"/>, packed in <paramref name="order"/> (a <see cref="SpatialOrder"/>),
    /// with the subspace bound where <paramref name="principal"/> gives the rows' principal coordinates.</summary>
    public static Columns<T> CreateColumns<T>(FeatureMatrix features, double[] centre, int[] order, int columnTile, PrincipalCoordinates? principal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var packed = new PackedRows<T>(features, centre, order, integerKernel: true);
        return new Columns<T>(packed, order, new TileBounds<T>(packed, packed.RoundTile(columnTile)),
            principal is null ? null : new SubspaceBound<T>(principal, order), features, centre);
    }

    /// <summary>Every training row's k nearest among the training rows (the row itself included), by original row; progress as the graph stage.</summary>
    public static int[] SearchTraining<T>(Columns<T> columns, int k, int rowTile, IProgress<StageProgress>? progress, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = columns.Packed.Rows;
        progress?.Report(new StageProgress("graph", 0, n, double.NaN));
        // Reported from the search's threads as blocks finish: a Progress<T> would post each report to the thread pool,
        // which the search keeps busy, and the reports would arrive when it is over.
        Action<long>? rowsDone = progress is null ? null : done => progress.Report(new StageProgress("graph", done, n, double.NaN));
        return Search(columns, columns.Packed, columns.Order, columns.Features, k, rowTile, rowsDone, cancellation);
    }

    /// <summary>
    /// The share of (row, tile) pairs the search would skip with its rows' final candidates: tiles whose distance bound,
    /// or whose subspace bound for every column, exceeds the row's last candidate, measured exactly on up to
    /// <paramref name="sampleRows"/> rows spread over the data. The search itself skips a little less (its candidates
    /// tighten as it goes, nearest tiles first).
    /// </summary>
    public static double Prunability<T>(Columns<T> columns, int k, int sampleRows, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var packed = columns.Packed;
        var bounds = columns.Bounds;
        int n = packed.Rows, tileColumns = bounds.TileColumns;
        int groups = DistanceKernel.SampleGroups(n, sampleRows), samples = groups * DistanceKernel.QueryRowsPerStep;
        if (groups == 0) return 0;
        int candidates = Math.Min(n, k + SpareCandidates);
        long skipped = 0;
        Parallel.For(0, groups, new ParallelOptions { CancellationToken = cancellation },
            () => (Distances: new T[DistanceKernel.QueryRowsPerStep * tileColumns], Bounds: bounds.CreateScratch(DistanceKernel.QueryRowsPerStep),
                Best: new T[DistanceKernel.QueryRowsPerStep * candidates], Index: new int[DistanceKernel.QueryRowsPerStep * candidates], Count: 0L,
                Last: new T[1]),
            (group, _, local) =>
            {
                int first = DistanceKernel.SampleGroupStart(group, groups, n);
                int rows = Math.Min(DistanceKernel.QueryRowsPerStep, n - first);
                local.Best.AsSpan().Fill(T.PositiveInfinity);
                local.Index.AsSpan().Fill(int.MaxValue);
                for (int tile = 0; tile * tileColumns < n; tile++)
                {
                    int start = tile * tileColumns, real = Math.Min(tileColumns, n - start);
                    DistanceKernel.SquaredDistances(packed.RowMajor, packed.Norms, first, rows, packed, start,
                        Math.Min(tileColumns, packed.PaddedRows - start), local.Distances, tileColumns);
                    for (int r = 0; r < rows; r++)
                        Merge(local.Distances.AsSpan(r * tileColumns, real), columns.Order.AsSpan(start, real),
                            local.Best.AsSpan(r * candidates, candidates), local.Index.AsSpan(r * candidates, candidates));
                }
                var lowerBounds = bounds.LowerBounds(packed.RowMajor, packed.Norms, first, rows, 1, local.Bounds);
                for (int r = 0; r < rows; r++)
                {
                    local.Last[0] = local.Best[r * candidates + candidates - 1];
                    double last = double.CreateTruncating(local.Last[0]);
                    for (int tile = 0; tile < bounds.Tiles; tile++)
                    {
                        int start = tile * tileColumns, real = Math.Min(tileColumns, n - start);
                        if (lowerBounds[r * bounds.Tiles + tile] > last
                            || real > 0 && columns.Subspace is { } subspace && subspace.AllFartherThan(subspace.Training, packed.Norms, first + r, 1,
                                packed, start, real, tileColumns, local.Last, local.Distances))
                            local.Count++;
                    }
                }
                return local;
            },
            local => Interlocked.Add(ref skipped, local.Count));
        return (double)skipped / ((long)samples * bounds.Tiles);
    }

    /// <param name="queries">Packed query rows.</param>
    /// <param name="queryOrder">The original index of each packed query row (null: the same).</param>
    /// <param name="queryFeatures">The query rows in their original order, for the float64 re-ranking.</param>
    /// <returns>queryRows x k neighbour indices (original indices, nearest first), by original query row.</returns>
    public static int[] Search<T>(Columns<T> columns, PackedRows<T> queries, int[]? queryOrder, FeatureMatrix queryFeatures,
        int k, int rowTile, Action<long>? rowsDone, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = columns.Packed.Rows;
        int queryRows = queries.Rows;
        int candidates = Math.Min(n, k + SpareCandidates);
        var bounds = columns.Bounds;
        int tileColumns = bounds.TileColumns;
        rowTile = Math.Max(1, rowTile);
        var neighbours = new int[(long)queryRows * k];
        var subspace = columns.Subspace;
        var projected = subspace is null ? null
            : ReferenceEquals(queries, columns.Packed) ? subspace.Training : subspace.Project(queryFeatures, queryOrder);
        int blocks = (queryRows + rowTile - 1) / rowTile;
        long done = 0;
        Parallel.For(0, blocks, new ParallelOptions { CancellationToken = cancellation },
            () => (Distances: new T[DistanceKernel.QueryRowsPerStep * tileColumns], Bounds: bounds.CreateScratch(rowTile),
                Worst: new T[DistanceKernel.QueryRowsPerStep],
                BestDistance: new T[(rowTile + DistanceKernel.QueryRowsPerStep) * candidates],
                BestIndex: new int[(rowTile + DistanceKernel.QueryRowsPerStep) * candidates]),
            (block, _, scratch) =>
            {
                int first = block * rowTile;
                int count = Math.Min(rowTile, queryRows - first);
                var bestDistance = scratch.BestDistance.AsSpan(0, count * candidates);
                var bestIndex = scratch.BestIndex.AsSpan(0, count * candidates);
                bestDistance.Fill(T.PositiveInfinity);
                bestIndex.Fill(int.MaxValue);
                var lowerBounds = bounds.LowerBounds(queries.RowMajor, queries.Norms, first, count, 1, scratch.Bounds);
                foreach (int tile in bounds.NearestFirst(lowerBounds, count, scratch.Bounds))
                {
                    int tileStart = tile * tileColumns;
                    int real = Math.Min(tileColumns, n - tileStart);
                    if (real <= 0) continue;
                    for (int group = 0; group < count; group += DistanceKernel.QueryRowsPerStep)
                    {
                        int rows = Math.Min(DistanceKernel.QueryRowsPerStep, count - group);
                        if (AllFartherThanCandidates(lowerBounds, bounds.Tiles, tile, group, rows, bestDistance, candidates)) continue;
                        if (subspace is not null)
                        {
                            for (int r = 0; r < rows; r++) scratch.Worst[r] = bestDistance[(group + r) * candidates + candidates - 1];
                            if (subspace.AllFartherThan(projected!, queries.Norms, first + group, rows, columns.Packed, tileStart, real, tileColumns,
                                scratch.Worst, scratch.Distances)) continue;
                        }
                        DistanceKernel.SquaredDistances(queries.RowMajor, queries.Norms, first + group, rows, columns.Packed, tileStart,
                            Math.Min(tileColumns, columns.Packed.PaddedRows - tileStart), scratch.Distances, tileColumns);
                        for (int r = 0; r < rows; r++)
                            Merge(scratch.Distances.AsSpan(r * tileColumns, real), columns.Order.AsSpan(tileStart, real),
                                bestDistance.Slice((group + r) * candidates, candidates), bestIndex.Slice((group + r) * candidates, candidates));
                    }
                }
                for (int q = 0; q < count; q++)
                {
                    int original = queryOrder?[first + q] ?? first + q;
                    Refine(columns.Features, queryFeatures, original, bestIndex.Slice(q * candidates, candidates),
                        neighbours.AsSpan(original * k, k));
                }
                rowsDone?.Invoke(Interlocked.Add(ref done, count));
                return scratch;
            },
            _ => { });
        return neighbours;
    }

    /// <summary>True when the tile's lower bound exceeds the current worst candidate of every row of the group.</summary>
    private static bool AllFartherThanCandidates<T>(ReadOnlySpan<double> lowerBounds, int tiles, int tile, int group, int rows,
        ReadOnlySpan<T> bestDistance, int candidates) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            double worst = double.CreateTruncating(bestDistance[(group + r) * candidates + candidates - 1]);
            if (!(lowerBounds[(group + r) * tiles + tile] > worst)) return false;
        }
        return true;
    }

    /// <summary>
    /// Inserts a tile's distances into the sorted candidate list (distance, then original index). Most distances are
    /// beyond the list's last entry once the nearest tiles are done: a vector compare finds the few that are not.
    /// </summary>
    private static void Merge<T>(ReadOnlySpan<T> distances, ReadOnlySpan<int> originalIndex, Span<T> bestDistance, Span<int> bestIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int lanes = Vector256<T>.Count, j = 0;
        ref T first = ref MemoryMarshal.GetReference(distances);
        for (; j + lanes <= distances.Length; j += lanes)
        {
            // The last entry only falls as candidates go in, so this mask holds every distance that can still enter.
            uint bits = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref first, (nuint)j), Vector256.Create(bestDistance[^1]))
                .ExtractMostSignificantBits();
            for (; bits != 0; bits &= bits - 1)
            {
                int column = j + BitOperations.TrailingZeroCount(bits);
                NearestList.Insert(distances[column], originalIndex[column], bestDistance, bestIndex);
            }
        }
        for (; j < distances.Length; j++) NearestList.Insert(distances[j], originalIndex[j], bestDistance, bestIndex);
    }


    /// <summary>Re-ranks the candidates (original indices) by exact float64 distance (ties: lower index) and keeps the first result.Length.</summary>
    public static void Refine(FeatureMatrix columns, FeatureMatrix queries, int query, Span<int> candidates, Span<int> result)
    {
        Span<double> exact = stackalloc double[candidates.Length];
        for (int c = 0; c < candidates.Length; c++) exact[c] = queries.SquaredDistance(query, columns, candidates[c]);
        Span<int> order = stackalloc int[candidates.Length];
        for (int c = 0; c < order.Length; c++) order[c] = c;
        for (int a = 1; a < order.Length; a++)
        {
            int current = order[a];
            int b = a;
            while (b > 0 && Before(exact, candidates, current, order[b - 1]))
            {
                order[b] = order[b - 1];
                b--;
            }
            order[b] = current;
        }
        for (int t = 0; t < result.Length; t++) result[t] = candidates[order[t]];
    }

    private static bool Before(ReadOnlySpan<double> exact, ReadOnlySpan<int> index, int x, int y)
        => exact[x] < exact[y] || (exact[x] == exact[y] && index[x] < index[y]);
}
