namespace GpuSpread.Graphs;

/// <summary>
/// The knn kernel's graph from an engine's neighbour lists, with the options scikit-learn never shipped
/// (<see cref="KnnGraphKind"/>, <see cref="KnnSelfLoops"/>, <see cref="KnnWeights"/>), and the inductive prediction from
/// a new row's neighbours: the host side that both engines share.
/// </summary>
internal static class KnnGraph
{
    /// <summary>Neighbours to search per row: one more when the point itself is to be dropped.</summary>
    public static int SearchCount(DiffusionOptions options) =>
        options.KnnSelfLoops == KnnSelfLoops.Drop ? options.NNeighbors + 1 : options.NNeighbors;

    /// <summary>
    /// W for the options from the searched lists (<paramref name="searched"/> per row, nearest first; the lists rounding
    /// could have changed are first searched again exactly, <see cref="KnnRepair"/>): each row's k
    /// neighbours (with drop, the point itself removed from the k + 1 searched, or the farthest when a duplicate with a
    /// lower index displaced it), weights 1 or exp(-gamma r) as log-weights (r in float64 by direct differences), then
    /// directed, union (max of W and W^T) or mutual (min, both present).
    /// </summary>
    public static LogCsr Matrix(int[] neighbours, int searched, FeatureMatrix features, DiffusionOptions options)
    {
        int n = features.Rows;
        int k = options.NNeighbors;
        KnnRepair.Apply(neighbours, searched, features, options.Precision);
        if (options.HasScikitLearnKnnGraph) return Connectivity(neighbours, n, k);
        bool rbf = options.KnnWeights == KnnWeights.Rbf;
        var triples = new List<(int Row, int Column, double LogWeight)>(n * k * (options.KnnGraph == KnnGraphKind.Directed ? 1 : 2));
        for (int i = 0; i < n; i++)
        {
            var row = neighbours.AsSpan(i * searched, searched);
            int kept = 0;
            bool dropSelf = options.KnnSelfLoops == KnnSelfLoops.Drop;
            foreach (int j in row)
            {
                if (kept == k) break;
                if (dropSelf && j == i) continue;
                double logWeight = rbf ? -options.Gamma * features.SquaredDistance(i, features, j) : 0;
                triples.Add((i, j, logWeight));
                if (options.KnnGraph != KnnGraphKind.Directed && j != i) triples.Add((j, i, logWeight));
                kept++;
            }
        }
        return options.KnnGraph switch
        {
            KnnGraphKind.Directed => LogCsr.FromTriples(n, triples, (a, _) => a),
            KnnGraphKind.Union => LogCsr.FromTriples(n, triples, Math.Max),
            _ => Mutual(n, triples),
        };
    }

    /// <summary>scikit-learn's graph: row i holds weight 1 at its k neighbours (itself among them), not symmetrised.</summary>
    private static LogCsr Connectivity(int[] neighbours, int n, int k)
    {
        var rowStart = new int[n + 1];
        for (int i = 0; i <= n; i++) rowStart[i] = i * k;
        var columns = neighbours[..(n * k)];
        for (int i = 0; i < n; i++) columns.AsSpan(i * k, k).Sort();
        return new LogCsr(n, rowStart, columns, new double[columns.Length]);
    }

    /// <summary>Keeps the pairs listed in both directions (each listed once per direction), with the smaller weight.</summary>
    private static LogCsr Mutual(int n, List<(int Row, int Column, double LogWeight)> triples)
    {
        // Every directed edge (i, j) was added as (i, j) and (j, i); a pair in both lists therefore appears twice.
        triples.Sort((x, y) => x.Row != y.Row ? x.Row.CompareTo(y.Row) : x.Column.CompareTo(y.Column));
        var kept = new List<(int, int, double)>(triples.Count / 2);
        for (int t = 0; t < triples.Count; t++)
        {
            var (row, column, logWeight) = triples[t];
            if (row == column)
            {
                kept.Add((row, column, logWeight)); // the point itself (include): its own mutual neighbour
                continue;
            }
            if (t + 1 < triples.Count && triples[t + 1].Row == row && triples[t + 1].Column == column)
            {
                kept.Add((row, column, Math.Min(logWeight, triples[t + 1].LogWeight)));
                t++;
            }
        }
        return LogCsr.FromTriples(n, kept, (a, _) => a);
    }

    /// <summary>
    /// Inductive prediction of new rows from their k training neighbours (<paramref name="neighbours"/>, m x k): per row
    /// the row-normalised sum of their distributions, weighted by exp(-gamma r) with the rbf weights (shifted by the
    /// nearest, so nothing underflows).
    /// </summary>
    public static double[] Predict(DiffusionOptions options, FeatureMatrix training, FeatureMatrix queries, int[] neighbours,
        double[] distributions, int classes)
    {
        int m = queries.Rows, k = options.NNeighbors;
        KnnRepair.Apply(neighbours, k, training, queries, options.Precision);
        var result = new double[(long)m * classes];
        Parallel.For(0, m, q =>
        {
            var row = result.AsSpan(q * classes, classes);
            var near = neighbours.AsSpan(q * k, k);
            Span<double> logWeights = stackalloc double[k];
            double max = double.NegativeInfinity;
            for (int t = 0; t < k; t++)
            {
                logWeights[t] = options.KnnWeights == KnnWeights.Rbf ? -options.Gamma * queries.SquaredDistance(q, training, near[t]) : 0;
                max = Math.Max(max, logWeights[t]);
            }
            for (int t = 0; t < k; t++)
            {
                double weight = Math.Exp(logWeights[t] - max);
                for (int c = 0; c < classes; c++) row[c] += weight * distributions[(long)near[t] * classes + c];
            }
            DistributionRows.Normalise(row, row);
        });
        return result;
    }
}
