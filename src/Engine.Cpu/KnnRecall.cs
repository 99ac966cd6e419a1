using System.Numerics;
using System.Runtime.Intrinsics;
using GpuSpread.Graphs;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// How good approximate neighbour lists are: for a seeded sample of rows, their exact k nearest by brute force over
/// NN-descent's own copy of the rows (every row, distances in blocks by <see cref="NnDescent.CandidateDistances"/>,
/// k + 4 kept and re-ranked in float64 as the exact search does, ties to the lower index, so equal sets compare equal)
/// against the lists. Recall is the mean fraction of a sampled row's exact k that its list holds; the row itself
/// counts, as it does in the graph. Nothing of the exact search's size is built (its columns would add 0.5 GB to a
/// fit at 1,000,000 x 64).
/// </summary>
internal static class KnnRecall
{
    /// <summary>Rows sampled by default: a few seconds of brute force at 1,000,000 rows, and the mean of 1,000 per-row
    /// recalls is within about 0.005 of the whole graph's at the recalls seen here.</summary>
    public const int DefaultSampleRows = 1000;

    /// <summary>Candidates kept beyond k for the float64 re-ranking, as in <see cref="KnnSearch"/>.</summary>
    private const int SpareCandidates = 4;

    /// <summary>Rows compared with a group of sampled rows per call of the distance kernel.</summary>
    private const int ColumnsPerStep = 256;

    /// <summary><paramref name="count"/> distinct rows of <paramref name="rows"/> (all of them when fewer), sorted, from <paramref name="seed"/>.</summary>
    public static int[] SampleRows(int rows, int count, int seed)
    {
        if (count >= rows) return Enumerable.Range(0, rows).ToArray();
        var random = new Random(seed);
        var chosen = new HashSet<int>();
        while (chosen.Count < count) chosen.Add(random.Next(rows));
        var sample = chosen.ToArray();
        Array.Sort(sample);
        return sample;
    }

    /// <param name="points">NN-descent's copy of the rows, in <paramref name="order"/>.</param>
    /// <param name="neighbours">The lists to grade: n x k, by original row.</param>
    /// <param name="sample">The rows to grade (original indices); none gives NaN.</param>
    public static double Measure<T>(NnDescent.Points<T> points, FeatureMatrix features, int[] order, int[] neighbours, int k, int[] sample,
        ParallelOptions parallel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (sample.Length == 0) return double.NaN;
        int n = order.Length;
        var position = new int[n];
        for (int p = 0; p < n; p++) position[order[p]] = p;
        int group = 2 * Vector256<T>.Count;
        int keep = Math.Min(n, k + SpareCandidates);
        var exact = new int[(long)sample.Length * k];
        Parallel.For(0, (sample.Length + group - 1) / group, parallel,
            () => (Join: new NnDescent.JoinScratch<T>(points.Dims, group, ColumnsPerStep), Distance: new T[group * keep], Index: new int[group * keep],
                Columns: new int[ColumnsPerStep]),
            (g, _, scratch) =>
            {
                int first = g * group, count = Math.Min(group, sample.Length - first);
                Span<int> rows = stackalloc int[count];
                for (int i = 0; i < count; i++) rows[i] = position[sample[first + i]];
                int width = scratch.Join.Pack(points, rows);
                scratch.Distance.AsSpan().Fill(T.PositiveInfinity);
                scratch.Index.AsSpan().Fill(int.MaxValue);
                for (int start = 0; start < n; start += ColumnsPerStep)
                {
                    int columns = Math.Min(ColumnsPerStep, n - start);
                    for (int j = 0; j < columns; j++) scratch.Columns[j] = start + j;
                    NnDescent.CandidateDistances(points, scratch.Columns.AsSpan(0, columns), scratch.Join, width);
                    for (int j = 0; j < columns; j++)
                        for (int i = 0; i < count; i++)
                            NearestList.Insert(scratch.Join.Distances[j * width + i], order[start + j],
                                scratch.Distance.AsSpan(i * keep, keep), scratch.Index.AsSpan(i * keep, keep));
                }
                for (int i = 0; i < count; i++)
                    KnnSearch.Refine(features, features, sample[first + i], scratch.Index.AsSpan(i * keep, keep), exact.AsSpan((first + i) * k, k));
                return scratch;
            }, _ => { });
        long found = 0;
        for (int s = 0; s < sample.Length; s++)
        {
            var listed = neighbours.AsSpan(sample[s] * k, k);
            foreach (int neighbour in exact.AsSpan(s * k, k))
                if (listed.Contains(neighbour)) found++;
        }
        return (double)found / ((long)sample.Length * k);
    }

}
