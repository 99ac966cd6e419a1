namespace GpuSpread.Active;

/// <summary>
/// Uncertainty sampling: the entropy of each row's label distribution and the choice of the most uncertain rows.
/// </summary>
public static class Uncertainty
{
    /// <summary>
    /// Shannon entropy, natural log, of a distribution row, as <c>scipy.stats.entropy</c> computes it
    /// (the row is divided by its sum first; 0 log 0 = 0). An all-zero row, a point no label reached, has no
    /// distribution: scipy returns NaN (0/0) and so does this. <see cref="MostUncertain"/> ranks NaN above
    /// every number, as scikit-learn's example does (NumPy's argsort sorts NaN last and the example reverses it).
    /// </summary>
    public static double Entropy(ReadOnlySpan<double> row)
    {
        double sum = 0;
        foreach (double p in row) sum += p;
        if (sum == 0) return double.NaN;
        double entropy = 0;
        foreach (double value in row)
        {
            double p = value / sum;
            if (p > 0) entropy -= p * Math.Log(p);
        }
        return entropy;
    }

    /// <summary>The entropies of the given rows of an n x c row-major distribution matrix.</summary>
    public static double[] Entropies(double[] distributions, int classes, IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        ArgumentNullException.ThrowIfNull(rows);
        var result = new double[rows.Count];
        Parallel.For(0, (rows.Count + 4095) / 4096, block =>
        {
            int end = Math.Min(rows.Count, (block + 1) * 4096);
            for (int i = block * 4096; i < end; i++)
                result[i] = Entropy(distributions.AsSpan(rows[i] * classes, classes));
        });
        return result;
    }

    /// <summary>
    /// The positions (into <paramref name="rows"/>) of the <paramref name="count"/> most uncertain rows, most
    /// uncertain first: highest entropy, NaN (unreached) above everything, ties to the lower row index.
    /// </summary>
    public static int[] MostUncertain(IReadOnlyList<int> rows, IReadOnlyList<double> entropies, int count)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(entropies);
        if (rows.Count != entropies.Count) throw new ArgumentException($"{rows.Count} rows but {entropies.Count} entropies", nameof(entropies));
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        count = Math.Min(count, rows.Count);
        if (count == 0) return [];
        // A bounded selection: keep the best `count` seen so far in a small sorted list (count is a batch).
        var best = new List<int>(count + 1);
        for (int position = 0; position < rows.Count; position++)
        {
            if (best.Count == count && !MoreUncertain(position, best[^1])) continue;
            int at = best.Count;
            while (at > 0 && MoreUncertain(position, best[at - 1])) at--;
            best.Insert(at, position);
            if (best.Count > count) best.RemoveAt(best.Count - 1);
        }
        return [.. best];

        bool MoreUncertain(int a, int b)
        {
            double ea = Rank(entropies[a]), eb = Rank(entropies[b]);
            return ea > eb || (ea == eb && rows[a] < rows[b]);
        }
    }

    private static double Rank(double entropy) => double.IsNaN(entropy) ? double.PositiveInfinity : entropy;

    /// <summary>The classes of a distribution row by decreasing probability (ties: class order), zeros left out.</summary>
    public static ClassProbability[] TopGuesses(ReadOnlySpan<double> row, IReadOnlyList<long> classes, int count)
    {
        ArgumentNullException.ThrowIfNull(classes);
        double sum = 0;
        foreach (double p in row) sum += p;
        var order = new List<int>();
        for (int k = 0; k < row.Length; k++)
            if (row[k] > 0) order.Add(k);
        var values = row.ToArray();
        order.Sort((a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        return [.. order.Take(count).Select(k => new ClassProbability(classes[k], values[k] / sum))];
    }
}

/// <summary>A class and the model's probability for it.</summary>
public readonly record struct ClassProbability(long Label, double Probability);
