using System.Numerics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// The kNN graph options scikit-learn never shipped (<see cref="KnnGraphKind"/>, <see cref="KnnSelfLoops"/>,
/// <see cref="KnnWeights"/>): the search's neighbour lists made into a <see cref="LogCsr"/>. With the
/// defaults (directed, the point itself included, connectivity) the engine keeps <see cref="KnnOperator"/>.
/// </summary>
internal static class GraphKnn
{
    /// <summary>Neighbours to search per row: one more when the point itself is to be dropped.</summary>
    public static int SearchCount(DiffusionOptions options) =>
        options.KnnSelfLoops == KnnSelfLoops.Drop ? options.NNeighbors + 1 : options.NNeighbors;

    /// <summary>The operator for the searched lists (<paramref name="searched"/> per row, nearest first).</summary>
    public static IDiffusionOperator CreateOperator(int[] neighbours, int searched, FeatureMatrix features, DiffusionOptions options) =>
        options.HasScikitLearnKnnGraph
            ? new KnnOperator(neighbours, features.Rows, options.NNeighbors, options.Model)
            : new CsrOperator(Matrix(neighbours, searched, features, options), options.Model);

    /// <summary>
    /// W for the options: each row's k neighbours (with drop, the point itself removed from the k + 1 searched, or
    /// the farthest when a duplicate with a lower index displaced it), weights 1 or exp(-gamma r) as log-weights
    /// (r in float64 by direct differences), then directed, union (max of W and W^T) or mutual (min, both present).
    /// </summary>
    public static LogCsr Matrix(int[] neighbours, int searched, FeatureMatrix features, DiffusionOptions options)
    {
        int n = features.Rows;
        int k = options.NNeighbors;
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
                double logWeight = rbf ? -options.Gamma * SquaredDistance(features, i, features, j) : 0;
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

    public static double SquaredDistance(FeatureMatrix a, int i, FeatureMatrix b, int j)
    {
        double sum = 0;
        for (int f = 0; f < a.Cols; f++)
        {
            double difference = a[i, f] - b[j, f];
            sum += difference * difference;
        }
        return sum;
    }

    /// <summary>
    /// Inductive prediction of one new row from its k training neighbours: the row-normalised sum of their
    /// distributions, weighted by exp(-gamma r) with the rbf weights (shifted by the nearest, so nothing underflows).
    /// </summary>
    public static void PredictRow(DiffusionOptions options, FeatureMatrix training, FeatureMatrix queries, int query,
        ReadOnlySpan<int> neighbours, double[] distributions, int classes, Span<double> row)
    {
        Span<double> logWeights = stackalloc double[neighbours.Length];
        double max = double.NegativeInfinity;
        for (int t = 0; t < neighbours.Length; t++)
        {
            logWeights[t] = options.KnnWeights == KnnWeights.Rbf ? -options.Gamma * SquaredDistance(queries, query, training, neighbours[t]) : 0;
            max = Math.Max(max, logWeights[t]);
        }
        for (int t = 0; t < neighbours.Length; t++)
        {
            double weight = Math.Exp(logWeights[t] - max);
            for (int c = 0; c < classes; c++) row[c] += weight * distributions[(long)neighbours[t] * classes + c];
        }
        FixedPointLoop.NormaliseRow(row, row);
    }

    /// <summary>
    /// Every row's <paramref name="k"/> nearest rows (original order, nearest first, the row itself included), by the search
    /// the options pick for this many rows: the exact tiled search, or NN-descent with its recall measured against a
    /// brute-force search of a sample of rows. The exact search's training side, which predicting new rows needs, is
    /// kept from the exact search, and built on first use after NN-descent (twice the features' size: a fit need not hold it).
    /// </summary>
    public static KnnLists<T> Find<T>(FeatureMatrix features, DiffusionOptions options, int k, IProgress<StageProgress>? progress, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowTile = options.RowTile ?? CpuEngine.DefaultRowTile;
        int columnTile = options.ColumnTile ?? CpuEngine.ColumnTileFor(features.Rows);
        var centre = PackedRows<T>.Centre(features);
        var order = SpatialOrder.Compute(features);
        if (options.KnnSearchFor(features.Rows) == KnnSearchMethod.Exact)
        {
            var columns = KnnSearch.CreateColumns<T>(features, centre, order, columnTile);
            return new KnnLists<T>(KnnSearch.SearchTraining(columns, k, rowTile, progress, cancellation), KnnSearchReport.Exact, new Lazy<KnnSearch.Columns<T>>(columns));
        }
        var sample = KnnRecall.SampleRows(features.Rows, KnnRecall.DefaultSampleRows, seed: 0);
        var found = NnDescent.Search<T>(features, order, k, NnDescent.Settings.Default, sample, progress, cancellation);
        // NN-descent's buffers (1 GB at 1,000,000 x 64) are garbage now, but the collector would let the operator and the
        // diffusion allocate on top of them first: the fit's peak passed 2 GiB until they were returned here.
        GC.Collect();
        return new KnnLists<T>(found.Neighbours, new KnnSearchReport(KnnSearchMethod.Approximate, sample.Length, found.Recall),
            new Lazy<KnnSearch.Columns<T>>(() => KnnSearch.CreateColumns<T>(features, centre, order, columnTile)));
    }
}

/// <summary>A knn kernel's neighbour lists (n x k by original row), how they were found, and the exact search's training side for new rows.</summary>
internal sealed record KnnLists<T>(int[] Neighbours, KnnSearchReport Report, Lazy<KnnSearch.Columns<T>> Columns)
    where T : unmanaged, IFloatingPointIeee754<T>;
