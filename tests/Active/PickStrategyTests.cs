using GpuSpread.Active;

namespace GpuSpread.Tests.Active;

public sealed class PickStrategyTests
{
    // Six rows, three classes: row 0 labeled; rows 1-5 candidates.
    private static readonly double[] Distributions =
    [
        1, 0, 0,        // 0: labeled
        0.5, 0.45, 0.05, // 1: small margin, middling entropy
        0.34, 0.33, 0.33, // 2: the highest entropy, small margin
        0.9, 0.05, 0.05, // 3: sure
        0, 0, 0,         // 4: no label reached it
        0.6, 0.4, 0,     // 5
    ];

    private static readonly int[] Candidates = [1, 2, 3, 4, 5];

    private static FeatureMatrix Line(params double[] positions) => FeatureMatrix.FromDouble(positions, positions.Length, 1);

    [Fact]
    public void EntropyIsScikitLearnsOrder()
    {
        var picks = PickStrategies.Pick(PickStrategy.Entropy, Distributions, 3, Candidates, Line(0, 1, 2, 3, 4, 5), 3, 0, 1);
        Assert.Equal([4, 2, 1], picks);
    }

    [Fact]
    public void MarginTakesTheSmallestGapAfterUnreachedRows()
    {
        // Gaps: row 1 0.05, row 2 0.01, row 3 0.85, row 5 0.2; row 4 reached by no label comes first.
        var picks = PickStrategies.Pick(PickStrategy.Margin, Distributions, 3, Candidates, Line(0, 1, 2, 3, 4, 5), 4, 0, 1);
        Assert.Equal([4, 2, 1, 5], picks);
    }

    [Fact]
    public void RandomIsSeededPerRoundAndPicksDistinctCandidates()
    {
        var candidates = Enumerable.Range(1, 200).ToArray();
        var distributions = new double[201 * 2];
        var features = Line([.. Enumerable.Range(0, 201).Select(i => (double)i)]);
        int[] Pick(int seed, int round) => PickStrategies.Pick(PickStrategy.Random, distributions, 2, candidates, features, 20, seed, round);
        Assert.Equal(Pick(3, 2), Pick(3, 2));
        Assert.NotEqual(Pick(3, 2), Pick(4, 2));
        Assert.NotEqual(Pick(3, 2), Pick(3, 3));
        Assert.Equal(20, Pick(3, 2).Distinct().Count());
        Assert.All(Pick(3, 2), row => Assert.Contains(row, candidates));
    }

    [Fact]
    public void CoverageTakesRowsNoLabelReachedInSeededOrderNotByIndex()
    {
        // 101 rows on a line, row 0 labeled, no other row reached (all-zero distributions): entropy and margin take
        // rows 1, 2, 3 (ties by index, next to each other); coverage takes a seeded random spread.
        int n = 101;
        var features = Line([.. Enumerable.Range(0, n).Select(i => (double)i)]);
        var distributions = new double[n * 2];
        distributions[0] = 1;
        var candidates = Enumerable.Range(1, n - 1).ToArray();
        Assert.Equal([1, 2, 3], PickStrategies.Pick(PickStrategy.Margin, distributions, 2, candidates, features, 3, 0, 1));
        var picks = PickStrategies.Pick(PickStrategy.Coverage, distributions, 2, candidates, features, 3, 0, 1);
        Assert.Equal(picks, PickStrategies.Pick(PickStrategy.Coverage, distributions, 2, candidates, features, 3, 0, 1));
        Assert.NotEqual([1, 2, 3], picks);
        Assert.Equal(3, picks.Distinct().Count());
    }

    [Fact]
    public void CoverageSkipsNearDuplicatesOfARowAlreadyPicked()
    {
        // Rows 1 and 2 are duplicates with the smallest margin; margin picks both, coverage one of them and row 3.
        double[] distributions = [1, 0, 0.5, 0.5, 0.5, 0.5, 0.55, 0.45, 0.6, 0.4];
        var features = Line(0, 10, 10, 30, 50);
        Assert.Equal([1, 2], PickStrategies.Pick(PickStrategy.Margin, distributions, 2, [1, 2, 3, 4], features, 2, 0, 1));
        var picks = PickStrategies.Pick(PickStrategy.Coverage, distributions, 2, [1, 2, 3, 4], features, 2, 0, 1);
        Assert.Contains(picks[0], new[] { 1, 2 });
        Assert.Equal(3, picks[1]);
    }
}
