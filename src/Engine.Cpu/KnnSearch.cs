using System.Numerics;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Exact brute-force k-nearest-neighbour search, tiled like the rbf pass: the distance micro-kernel
/// fills a 4 x tile block, and each row keeps its best candidates in a small sorted list. Candidates are
/// ranked in the engine's precision with a few spare places, then re-ranked on float64 distances taken by
/// direct differences, so float32 rounding does not reorder near neighbours. Ties go to the lower index.
/// </summary>
internal static class KnnSearch
{
    /// <summary>Spare candidates kept beyond k for the float64 re-ranking.</summary>
    private const int SpareCandidates = 4;

    /// <returns>queryRows x k neighbour indices, nearest first.</returns>
    public static int[] Search<T>(PackedRows<T> columns, FeatureMatrix columnFeatures, T[] queries, T[] queryNorms,
        FeatureMatrix queryFeatures, int k, int rowTile, int columnTile, IProgress<long>? rowsDone, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = columns.Rows;
        int queryRows = queryFeatures.Rows;
        int candidates = Math.Min(n, k + SpareCandidates);
        int step = Vector256<T>.Count * PackedRows<T>.PanelsPerStep;
        int tile = Math.Max(step, (columnTile + step - 1) / step * step);
        rowTile = Math.Max(1, rowTile);
        var neighbours = new int[(long)queryRows * k];
        int blocks = (queryRows + rowTile - 1) / rowTile;
        long done = 0;
        Parallel.For(0, blocks, new ParallelOptions { CancellationToken = cancellation }, block =>
        {
            var distances = new T[DistanceKernel.QueryRowsPerStep * tile];
            var bestDistance = new T[DistanceKernel.QueryRowsPerStep * candidates];
            var bestIndex = new int[DistanceKernel.QueryRowsPerStep * candidates];
            int first = block * rowTile;
            int count = Math.Min(rowTile, queryRows - first);
            for (int group = 0; group < count; group += DistanceKernel.QueryRowsPerStep)
            {
                int rows = Math.Min(DistanceKernel.QueryRowsPerStep, count - group);
                int query = first + group;
                bestDistance.AsSpan().Fill(T.PositiveInfinity);
                bestIndex.AsSpan().Fill(int.MaxValue);
                for (int tileStart = 0; tileStart < n; tileStart += tile)
                {
                    int tileColumns = Math.Min(tile, columns.PaddedRows - tileStart);
                    DistanceKernel.SquaredDistances(queries, queryNorms, query, rows, columns, tileStart, tileColumns, distances, tile);
                    int real = Math.Min(tileColumns, n - tileStart);
                    for (int r = 0; r < rows; r++)
                        Merge(distances.AsSpan(r * tile, real), tileStart,
                            bestDistance.AsSpan(r * candidates, candidates), bestIndex.AsSpan(r * candidates, candidates));
                }
                for (int r = 0; r < rows; r++)
                    Refine(columnFeatures, queryFeatures, query + r, bestIndex.AsSpan(r * candidates, candidates),
                        neighbours.AsSpan((query + r) * k, k));
            }
            if (rowsDone is not null) rowsDone.Report(Interlocked.Add(ref done, count));
        });
        return neighbours;
    }

    /// <summary>Inserts a tile's distances into the sorted candidate list (distance, then index).</summary>
    private static void Merge<T>(ReadOnlySpan<T> distances, int firstColumn, Span<T> bestDistance, Span<int> bestIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int last = bestDistance.Length - 1;
        for (int j = 0; j < distances.Length; j++)
        {
            T distance = distances[j];
            if (distance > bestDistance[last]) continue;
            int index = firstColumn + j;
            if (distance == bestDistance[last] && index > bestIndex[last]) continue;
            int position = last;
            while (position > 0 && (bestDistance[position - 1] > distance
                                    || (bestDistance[position - 1] == distance && bestIndex[position - 1] > index)))
            {
                bestDistance[position] = bestDistance[position - 1];
                bestIndex[position] = bestIndex[position - 1];
                position--;
            }
            bestDistance[position] = distance;
            bestIndex[position] = index;
        }
    }

    /// <summary>Re-ranks the candidates by exact float64 distance (ties: lower index) and keeps k.</summary>
    private static void Refine(FeatureMatrix columns, FeatureMatrix queries, int query, Span<int> candidates, Span<int> result)
    {
        Span<double> exact = stackalloc double[candidates.Length];
        for (int c = 0; c < candidates.Length; c++)
        {
            double sum = 0;
            int column = candidates[c];
            for (int f = 0; f < columns.Cols; f++)
            {
                double difference = queries[query, f] - columns[column, f];
                sum += difference * difference;
            }
            exact[c] = sum;
        }
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
