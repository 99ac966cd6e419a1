namespace GpuSpread.Graphs;

/// <summary>
/// Checks an engine's knn lists row by row and replaces, by an exact search in float64 by direct differences, the lists
/// that rounding could have changed. A row is at risk when
/// <list type="bullet">
/// <item>it lies far from the bulk (<c>s_i</c> above <see cref="FarFactor"/> times the median of the non-zero <c>s</c>): its candidates are all at
/// nearly the same large distance, which the engine's <c>s_i + s_j - 2 x.y</c> cannot order; or</item>
/// <item>the modelled error of its distances to any row that could be its neighbour (by the triangle inequality
/// <c>s_j &lt;= (sqrt(s_i) + sqrt(D_i))^2</c>, <c>D_i</c> its k-th neighbour's exact distance) exceeds
/// <see cref="RelativeTolerance"/> of <c>D_i</c> (or of the median <c>D</c>, for rows in dense clusters).</item>
/// </list>
/// Rows of the bulk keep the engine's lists, whose candidates the engines already re-rank in float64.
/// </summary>
internal static class KnnRepair
{
    public const double RelativeTolerance = 1e-3;
    public const double FarFactor = 64;

    /// <summary>Multiply-adds the exact searches may take before the fit is refused instead.</summary>
    private const double WorkBudget = 2e10;

    /// <summary>Repairs the training rows' lists <paramref name="neighbours"/> (n x <paramref name="searched"/>, nearest first by
    /// float64 distance) in place; returns the rows searched again.</summary>
    /// <exception cref="FeatureRangeException">too many rows are at risk to search them exactly.</exception>
    public static int Apply(int[] neighbours, int searched, FeatureMatrix features, Precision precision) =>
        Apply(neighbours, searched, features, features, precision);

    /// <summary>The same for the lists of new rows <paramref name="queries"/> among the training rows <paramref name="features"/>.</summary>
    public static int Apply(int[] neighbours, int searched, FeatureMatrix features, FeatureMatrix queries, Precision precision)
    {
        int n = queries.Rows;
        if (n == 0) return 0;
        var scales = features.Scales;
        var squared = ReferenceEquals(queries, features) ? scales.Squared : new double[n];
        if (!ReferenceEquals(queries, features)) Parallel.For(0, n, q => squared[q] = queries.SquaredDistanceTo(q, scales.Centre));
        double errorPerScale = DistancePrecision.ErrorPerScale(precision, features.Cols);
        // Every engine re-ranks its lists on float64 distances, so a list's last row is its farthest.
        var reach = new double[n];
        Parallel.For(0, n, i => reach[i] = queries.SquaredDistance(i, features, neighbours[i * searched + searched - 1]));
        var sortedReach = reach.ToArray();
        Array.Sort(sortedReach);
        double typicalReach = sortedReach[(n - 1) / 2];
        var positive = scales.Squared.Where(value => value > 0).Order().ToArray();
        double farScale = positive.Length == 0 ? double.PositiveInfinity : FarFactor * positive[(positive.Length - 1) / 2];
        var atRisk = new List<int>();
        for (int i = 0; i < n; i++)
        {
            double s = squared[i];
            double candidate = Math.Sqrt(s) + Math.Sqrt(reach[i]);
            double error = errorPerScale * (s + candidate * candidate);
            if (s > farScale || error > RelativeTolerance * Math.Max(reach[i], typicalReach)) atRisk.Add(i);
        }
        if (atRisk.Count == 0) return 0;
        if ((double)atRisk.Count * features.Rows * features.Cols > WorkBudget)
        {
            int row = atRisk.MaxBy(i => squared[i]);
            throw new FeatureRangeException(row, scales.FarthestColumn(queries, row),
                $"{(ReferenceEquals(queries, features) ? "" : "new ")}{scales.DescribeCell(queries, row)}, and {atRisk.Count} rows lie too far from the bulk of the data to rank their "
                + $"neighbours in {OptionNames.Precision[precision]}, too many to search exactly; remove or replace such values (or rescale the column)");
        }
        Parallel.ForEach(atRisk, i => ExactNeighbours(features, queries, i, neighbours.AsSpan(i * searched, searched)));
        return atRisk.Count;
    }

    /// <summary>The nearest rows by float64 distance (ties: the lower index), nearest first.</summary>
    private static void ExactNeighbours(FeatureMatrix features, FeatureMatrix queries, int query, Span<int> result)
    {
        var bestDistance = new double[result.Length];
        Array.Fill(bestDistance, double.PositiveInfinity);
        result.Fill(int.MaxValue);
        for (int j = 0; j < features.Rows; j++) NearestList.Insert(queries.SquaredDistance(query, features, j), j, bestDistance, result);
    }
}
