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
}

/// <summary>The rows a round picks under each <see cref="PickStrategy"/>.</summary>
public static class PickStrategies
{
    /// <summary>Candidates per pick in <see cref="PickStrategy.Coverage"/>'s pool.</summary>
    public const int CoveragePoolFactor = 10;

    /// <param name="distributions">n x classes, the round's fit.</param>
    /// <param name="candidates">The unlabeled rows that may be picked, in increasing order.</param>
    /// <param name="seed">The session's seed; with <paramref name="round"/> it fixes a round's random choices, whatever came before.</param>
    /// <returns>The picked rows, in the order they were chosen.</returns>
    public static int[] Pick(PickStrategy strategy, double[] distributions, int classes, IReadOnlyList<int> candidates,
        FeatureMatrix features, int batch, int seed, int round)
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

    private static int[] Shuffled(IReadOnlyList<int> rows, Random random)
    {
        var result = rows.ToArray();
        random.Shuffle(result);
        return result;
    }

    private static int HashSeed(int seed, int round) => unchecked(seed * 1_000_003 + round);
}
