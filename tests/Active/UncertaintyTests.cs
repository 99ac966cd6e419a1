using GpuSpread.Active;

namespace GpuSpread.Tests.Active;

public sealed class UncertaintyTests
{
    [Fact]
    public void EntropyIsScipysNaturalLogEntropy()
    {
        Assert.Equal(Math.Log(4), Uncertainty.Entropy([0.25, 0.25, 0.25, 0.25]), 1e-15);
        Assert.Equal(0, Uncertainty.Entropy([0, 1, 0]));
        // scipy.stats.entropy([0.2, 0.3, 0.5]) = 1.0296530140645737; rows are divided by their sum first.
        Assert.Equal(1.0296530140645737, Uncertainty.Entropy([0.2, 0.3, 0.5]), 1e-15);
        Assert.Equal(1.0296530140645737, Uncertainty.Entropy([2, 3, 5]), 1e-15);
    }

    [Fact]
    public void AnAllZeroRowHasNoEntropyAndRanksFirst()
    {
        // scipy gives NaN (0/0); NumPy's argsort puts NaN last and the example reverses it, so such rows come first.
        Assert.True(double.IsNaN(Uncertainty.Entropy([0, 0, 0])));
        int[] rows = [3, 7, 9, 12];
        double[] entropies = [0.5, double.NaN, 0.9, double.NaN];
        Assert.Equal([1, 3, 2], Uncertainty.MostUncertain(rows, entropies, 3));
    }

    [Fact]
    public void TiesGoToTheLowerRowIndex()
    {
        int[] rows = [40, 10, 30, 20, 50];
        double[] entropies = [0.7, 0.7, 0.2, 0.7, 0.9];
        Assert.Equal([50, 10, 20, 40], Uncertainty.MostUncertain(rows, entropies, 4).Select(p => rows[p]));
        Assert.Equal([50, 10, 20, 40, 30], Uncertainty.MostUncertain(rows, entropies, 10).Select(p => rows[p]));
        Assert.Empty(Uncertainty.MostUncertain(rows, entropies, 0));
    }

    [Fact]
    public void PickingMatchesAFullSortOnRandomInput()
    {
        var random = new Random(17);
        for (int trial = 0; trial < 50; trial++)
        {
            int n = random.Next(1, 300);
            int[] rows = [.. Enumerable.Range(0, n).Select(i => i * 3 + random.Next(3)).OrderBy(_ => random.Next())];
            // Few distinct values, so ties are common; some NaN.
            double[] entropies = [.. rows.Select(_ => random.Next(10) == 0 ? double.NaN : random.Next(8) / 8.0)];
            int count = random.Next(0, 20);
            var expected = Enumerable.Range(0, n)
                .OrderByDescending(p => double.IsNaN(entropies[p]) ? double.PositiveInfinity : entropies[p]).ThenBy(p => rows[p])
                .Take(count);
            Assert.Equal(expected, Uncertainty.MostUncertain(rows, entropies, count));
        }
    }

    [Fact]
    public void TopGuessesAreByProbabilityWithoutZeros()
    {
        long[] classes = [3, 5, 8, 9];
        var guesses = Uncertainty.TopGuesses([0.2, 0.0, 0.5, 0.3], classes, 3);
        Assert.Equal([8L, 9L, 3L], guesses.Select(g => g.Label));
        Assert.Equal(0.5, guesses[0].Probability, 1e-15);
        Assert.Empty(Uncertainty.TopGuesses([0.0, 0.0, 0.0, 0.0], classes, 3));
        Assert.Equal([3L, 5L], Uncertainty.TopGuesses([0.5, 0.5, 0, 0], classes, 3).Select(g => g.Label));
    }
}
