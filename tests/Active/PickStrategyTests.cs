using System.Text.Json;
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

    /// <summary>A graph of lists: row i links to the rows of lists[i].</summary>
    private static GraphPattern Graph(params int[][] lists)
    {
        var rowStart = new int[lists.Length + 1];
        for (int i = 0; i < lists.Length; i++) rowStart[i + 1] = rowStart[i] + lists[i].Length;
        return new GraphPattern(lists.Length, rowStart, [.. lists.SelectMany(list => list.Order())]);
    }

    [Fact]
    public void GraphCoverageSpreadsABatchOverTheRegionsNoLabelCovers()
    {
        // Region A (rows 0-3) holds the label at row 0; region B (rows 4-7) and region C (rows 8, 9) no label reached.
        // Entropy takes rows 4 and 5, both in B; graph coverage takes B (4 uncovered rows, ties to the lower index), then C.
        var graph = Graph([0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [4, 5, 6, 7], [4, 5, 6, 7], [4, 5, 6, 7], [4, 5, 6, 7], [8, 9], [8, 9]);
        double[] distributions = [0.9, 0.1, 0.6, 0.4, 0.5, 0.5, 0.7, 0.3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        int[] candidates = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var features = Line(0, 1, 2, 3, 10, 11, 12, 13, 20, 21);
        Assert.Equal([4, 5], PickStrategies.Pick(PickStrategy.Entropy, distributions, 2, candidates, features, 2, 0, 1));
        Assert.Equal([4, 8], PickStrategies.GraphCoverage(distributions, 2, candidates, [0], graph, 2));
        // With B and C covered, nothing is left to cover: the most uncertain rows follow (row 2's classes tie, then
        // the unreached rows by index).
        Assert.Equal([4, 8, 2, 5, 6], PickStrategies.GraphCoverage(distributions, 2, candidates, [0], graph, 5));
    }

    [Fact]
    public void GraphCoverageCountsTheRowsThatReachAPickWithinTwoLinks()
    {
        // A chain 0 -> 1 -> 2 -> 3 -> 4 (each row also links to itself), nothing labeled, no row reached (worth 1 each):
        // the balls are {0}, {0, 1}, {0, 1, 2}, {1, 2, 3}, {2, 3, 4}. Row 2 first (three rows, the lowest index of
        // three), then row 4, whose ball keeps rows 3 and 4 uncovered where row 3's keeps only row 3.
        var graph = Graph([0, 1], [1, 2], [2, 3], [3, 4], [4]);
        var distributions = new double[5 * 2];
        Assert.Equal([2, 4], PickStrategies.GraphCoverage(distributions, 2, [0, 1, 2, 3, 4], [], graph, 2));
        // A label at row 4 covers rows 2, 3 and 4: rows 1 and 2 keep two rows each uncovered, row 1 has the lower index.
        Assert.Equal([1], PickStrategies.GraphCoverage(distributions, 2, [0, 1, 2, 3], [4], graph, 1));
    }

    [Fact]
    public void GraphCoverageMatchesADenseReference()
    {
        // tests/fixtures/active/make_graph_coverage_fixture.py: seeded knn graphs, balls from a dense matrix power,
        // every score recomputed from scratch at every pick.
        foreach (var c in ActiveFixtures.Load("graph_coverage.json").GetProperty("cases").EnumerateArray())
        {
            int seed = c.GetProperty("seed").GetInt32(), k = c.GetProperty("k").GetInt32();
            var lists = c.GetProperty("neighbours").EnumerateArray().Select(row => row.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
            Assert.All(lists, list => Assert.Equal(k, list.Length));
            var picks = PickStrategies.GraphCoverage(Doubles(c, "distributions"), c.GetProperty("classes").GetInt32(), Ints(c, "candidates"),
                Ints(c, "labeled"), Graph(lists), c.GetProperty("batch").GetInt32());
            Assert.True(Ints(c, "picked").SequenceEqual(picks), $"case seed {seed}: expected {string.Join(", ", Ints(c, "picked"))}, got {string.Join(", ", picks)}");
        }

        static int[] Ints(JsonElement c, string name) => [.. c.GetProperty(name).EnumerateArray().Select(e => e.GetInt32())];
        static double[] Doubles(JsonElement c, string name) => [.. c.GetProperty(name).EnumerateArray().Select(e => e.GetDouble())];
    }

    [Fact]
    public void GraphCoverageNeedsTheGraphAndTheLabeledRows()
    {
        var error = Assert.Throws<ArgumentNullException>(() =>
            PickStrategies.Pick(PickStrategy.GraphCoverage, Distributions, 3, Candidates, Line(0, 1, 2, 3, 4, 5), 2, 0, 1, labeled: [0]));
        Assert.Contains("needs the graph", error.Message);
    }
}
