namespace GpuSpread.Active;

/// <summary>How a round picks the rows to ask about.</summary>
public enum PickStrategy
{
    /// <summary>The highest entropy (scikit-learn's example; rows no label reached first, ties to the lower index).</summary>
    Entropy,

    /// <summary>The smallest gap between the two most probable classes (rows no label reached first).</summary>
    Margin,

    /// <summary>Uniformly at random: the baseline every strategy has to beat (seeded).</summary>
    Random,

    /// <summary>
    /// Batch-aware: the smallest margins first (rows no label reached in seeded random order, not by index), skipping
    /// a row that is a near-duplicate of one already picked this round (nearer than the median nearest-neighbour
    /// distance within a pool of the most uncertain rows), so that a batch is not spent on one clutch of look-alikes.
    /// </summary>
    Coverage,

    /// <summary>
    /// Batch-aware, over the graph: each row is worth its uncertainty (1 minus the gap between its two most probable
    /// classes; 1 for a row no label reached), and a pick covers the rows that reach it within
    /// <see cref="PickStrategies.CoverageSteps"/> steps along the graph's links, the rows whose fit it moves first.
    /// Rows a label covers are worth nothing; each pick is the candidate whose uncovered rows are worth the most, so
    /// that a batch spreads over the uncertain regions instead of spending picks on one clutch of look-alikes, and
    /// weighs a region by how many rows it holds. Ties go to the more uncertain row, then to the lower index.
    /// </summary>
    GraphCoverage,
}

/// <summary>The rows a round picks under each <see cref="PickStrategy"/>.</summary>
public static class PickStrategies
{
    /// <summary>Candidates per pick in <see cref="PickStrategy.Coverage"/>'s pool.</summary>
    public const int CoveragePoolFactor = 10;

    /// <summary>How many steps towards a row <see cref="PickStrategy.GraphCoverage"/> counts a row as covered by it.</summary>
    public const int CoverageSteps = 2;

    /// <summary><see cref="PickStrategy.GraphCoverage"/> counts worth in units of 2^-32, so that its sums are exact
    /// whatever their order: ties are ties, and subtracting what a pick covers leaves exactly the rest.</summary>
    private const double WorthUnit = 4294967296.0;

    /// <param name="distributions">n x classes, the round's fit.</param>
    /// <param name="candidates">The unlabeled rows that may be picked, in increasing order.</param>
    /// <param name="seed">The session's seed; with <paramref name="round"/> it fixes a round's random choices, whatever came before.</param>
    /// <param name="labeled">The labeled rows (<see cref="PickStrategy.GraphCoverage"/> only).</param>
    /// <param name="graph">The graph the rows are linked by (<see cref="PickStrategy.GraphCoverage"/> only).</param>
    /// <returns>The picked rows, in the order they were chosen.</returns>
    public static int[] Pick(PickStrategy strategy, double[] distributions, int classes, IReadOnlyList<int> candidates,
        FeatureMatrix features, int batch, int seed, int round, IReadOnlyList<int>? labeled = null, GraphPattern? graph = null)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(features);
        var random = new Random(HashSeed(seed, round));
        switch (strategy)
        {
            case PickStrategy.Entropy:
                return Select(candidates, Uncertainty.Entropies(distributions, classes, candidates), batch);
            case PickStrategy.Margin:
                return Select(candidates, Margins(distributions, classes, candidates), batch);
            case PickStrategy.Random:
                return [.. Shuffled(candidates, random).Take(batch)];
            case PickStrategy.Coverage:
                return Coverage(distributions, classes, candidates, features, batch, random);
            case PickStrategy.GraphCoverage:
                return GraphCoverage(distributions, classes, candidates,
                    labeled ?? throw new ArgumentNullException(nameof(labeled), "graph coverage needs the labeled rows"),
                    graph ?? throw new ArgumentNullException(nameof(graph), "graph coverage needs the graph"), batch);
            default:
                throw new ArgumentOutOfRangeException(nameof(strategy), strategy, null);
        }
    }

    private static int[] Select(IReadOnlyList<int> candidates, double[] scores, int batch) =>
        Array.ConvertAll(Uncertainty.MostUncertain(candidates, scores, batch), p => candidates[p]);

    /// <summary>Minus the gap between the two largest probabilities (higher: more uncertain); NaN for a row no label reached.</summary>
    private static double[] Margins(double[] distributions, int classes, IReadOnlyList<int> rows)
    {
        var result = new double[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            var row = distributions.AsSpan(rows[i] * classes, classes);
            double sum = 0, first = 0, second = 0;
            foreach (double p in row)
            {
                sum += p;
                if (p > first) (first, second) = (p, first);
                else if (p > second) second = p;
            }
            result[i] = sum > 0 ? -(first - second) / sum : double.NaN;
        }
        return result;
    }

    private static int[] Coverage(double[] distributions, int classes, IReadOnlyList<int> candidates, FeatureMatrix features,
        int batch, Random random)
    {
        // The pool: the smallest margins, ties (rows no label reached all tie) broken at random, not by index.
        var margins = Margins(distributions, classes, candidates);
        var tieBreak = new double[candidates.Count];
        for (int i = 0; i < tieBreak.Length; i++) tieBreak[i] = random.NextDouble();
        var pool = Enumerable.Range(0, candidates.Count)
            .OrderByDescending(i => double.IsNaN(margins[i]) ? double.PositiveInfinity : margins[i])
            .ThenBy(i => tieBreak[i])
            .Take(batch * CoveragePoolFactor).Select(i => candidates[i]).ToArray();
        // Two pool rows nearer each other than the pool's median nearest-neighbour distance count as near-duplicates.
        var nearestInPool = new double[pool.Length];
        Parallel.For(0, pool.Length, p =>
        {
            double best = double.PositiveInfinity;
            for (int q = 0; q < pool.Length; q++)
                if (q != p) best = Math.Min(best, features.SquaredDistance(pool[p], features, pool[q]));
            nearestInPool[p] = best;
        });
        double duplicate = nearestInPool.Length > 1 ? nearestInPool.Order().ElementAt((nearestInPool.Length - 1) / 2) : 0;
        var picked = new List<int>(batch);
        var skipped = new List<int>();
        foreach (int row in pool)
        {
            if (picked.Count == batch) break;
            if (picked.Any(other => features.SquaredDistance(row, features, other) <= duplicate)) skipped.Add(row);
            else picked.Add(row);
        }
        picked.AddRange(skipped.Take(batch - picked.Count));
        return [.. picked];
    }

    /// <summary>
    /// <see cref="PickStrategy.GraphCoverage"/>: greedy maximum coverage. The ball of row j is j and the rows with a path
    /// of at most <see cref="CoverageSteps"/> links to j (i links to the rows of its graph row: for knn, i's neighbours).
    /// </summary>
    /// <param name="candidates">The rows that may be picked.</param>
    /// <param name="labeled">The labeled rows: their balls are covered from the start.</param>
    /// <returns>The picked rows, in the order they were chosen.</returns>
    public static int[] GraphCoverage(double[] distributions, int classes, IReadOnlyList<int> candidates, IReadOnlyList<int> labeled,
        GraphPattern graph, int batch)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(labeled);
        ArgumentNullException.ThrowIfNull(graph);
        int n = graph.Rows;
        if (distributions.Length != (long)n * classes)
            throw new ArgumentException($"{distributions.Length} distribution values for a graph of {n} rows and {classes} classes", nameof(distributions));
        var linksIn = Transposed(graph);

        var all = Enumerable.Range(0, n).ToArray();
        var margins = Margins(distributions, classes, all);
        var worth = new long[n];
        for (int i = 0; i < n; i++) worth[i] = (long)Math.Round(WorthUnit * (double.IsNaN(margins[i]) ? 1 : 1 + margins[i]));
        var ownWorth = (long[])worth.Clone();
        var covered = new bool[n];
        var visit = new Visits(n);
        foreach (int row in labeled)
            foreach (int i in visit.Ball(linksIn, row))
            {
                covered[i] = true;
                worth[i] = 0;
            }

        var score = new long[n];
        var eligible = new bool[n];
        foreach (int row in candidates) eligible[row] = true;
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, candidates.Count, 1024), () => new Visits(n), (range, _, local) =>
        {
            for (int c = range.Item1; c < range.Item2; c++)
            {
                long sum = 0;
                foreach (int i in local.Ball(linksIn, candidates[c])) sum += worth[i];
                score[candidates[c]] = sum;
            }
            return local;
        }, _ => { });

        var picked = new List<int>(Math.Min(batch, candidates.Count));
        var reach = new Visits(n);
        while (picked.Count < batch)
        {
            int best = -1;
            foreach (int row in candidates)
                if (eligible[row] && (best < 0 || Better(row, best))) best = row;
            if (best < 0) break;
            picked.Add(best);
            eligible[best] = false;
            var newlyCovered = visit.Ball(linksIn, best).Where(i => !covered[i]).ToArray();
            foreach (int i in newlyCovered)
            {
                covered[i] = true;
                if (worth[i] == 0) continue;
                // The rows whose balls hold i: i and the rows i reaches within the steps, along the graph's own links.
                foreach (int m in reach.Ball(graph, i)) score[m] -= worth[i];
                worth[i] = 0;
            }
        }
        return [.. picked];

        bool Better(int a, int b) =>
            score[a] != score[b] ? score[a] > score[b] : ownWorth[a] != ownWorth[b] ? ownWorth[a] > ownWorth[b] : a < b;
    }

    /// <summary>W's links reversed: row j lists the rows that link to j.</summary>
    private static GraphPattern Transposed(GraphPattern graph)
    {
        int n = graph.Rows;
        var rowStart = new int[n + 1];
        foreach (int j in graph.Columns) rowStart[j + 1]++;
        for (int j = 0; j < n; j++) rowStart[j + 1] += rowStart[j];
        var next = rowStart[..n];
        var columns = new int[graph.Columns.Length];
        for (int i = 0; i < n; i++)
            foreach (int j in graph.Neighbours(i)) columns[next[j]++] = i;
        return new GraphPattern(n, rowStart, columns);
    }

    /// <summary>Marks for one walk at a time: the rows within <see cref="CoverageSteps"/> links of a row, each once.</summary>
    private sealed class Visits(int rows)
    {
        private readonly int[] _stamp = new int[rows];
        private int _walk;

        /// <summary>The row itself, then every row within <see cref="CoverageSteps"/> links along <paramref name="links"/>, each once.</summary>
        public List<int> Ball(GraphPattern links, int row)
        {
            _walk++;
            var result = new List<int> { row };
            _stamp[row] = _walk;
            int frontierStart = 0;
            for (int step = 0; step < CoverageSteps; step++)
            {
                int frontierEnd = result.Count;
                for (int f = frontierStart; f < frontierEnd; f++)
                    foreach (int next in links.Neighbours(result[f]))
                        if (_stamp[next] != _walk)
                        {
                            _stamp[next] = _walk;
                            result.Add(next);
                        }
                frontierStart = frontierEnd;
            }
            return result;
        }
    }

    private static int[] Shuffled(IReadOnlyList<int> rows, Random random)
    {
        var result = rows.ToArray();
        random.Shuffle(result);
        return result;
    }

    private static int HashSeed(int seed, int round) => unchecked(seed * 1_000_003 + round);
}
