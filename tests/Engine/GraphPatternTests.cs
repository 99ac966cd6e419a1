namespace GpuSpread.Tests.Engine;

/// <summary>The graph's pattern, which the graph-coverage strategy walks: the knn lists, on every engine.</summary>
public sealed class GraphPatternTests
{
    /// <summary>Row i's k nearest rows by float64 distance (ties to the lower index), itself among them, in increasing order.</summary>
    public static GraphPattern BruteForceKnn(double[,] x, int k)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var rowStart = new int[n + 1];
        var columns = new List<int>(n * k);
        for (int i = 0; i < n; i++)
        {
            var distances = new double[n];
            for (int j = 0; j < n; j++)
                for (int f = 0; f < d; f++)
                    distances[j] += (x[i, f] - x[j, f]) * (x[i, f] - x[j, f]);
            columns.AddRange(Enumerable.Range(0, n).OrderBy(j => distances[j]).ThenBy(j => j).Take(k).Order());
            rowStart[i + 1] = columns.Count;
        }
        return new GraphPattern(n, rowStart, [.. columns]);
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void AKnnGraphsPatternIsItsNeighbourListsAndRbfHasNone(string engineName)
    {
        var (x, truth) = TestData.Blobs(seed: 5, n: 67, d: 3, classes: 3, sigma: 0.5);
        var labels = truth.Select((t, i) => i < 6 ? (long)t : -1L).ToArray();
        var features = TestData.ToMatrix(x, Precision.Float64);
        using var engine = TestData.CreateEngine(engineName);
        var options = DiffusionOptions.Spreading() with { Kernel = AffinityKernel.Knn, NNeighbors = 6, Precision = Precision.Float64 };
        using var knn = new LabelDiffusion(engine, options).Fit(features, labels);
        var expected = BruteForceKnn(x, 6);
        var pattern = knn.GraphPattern!;
        Assert.Equal(expected.RowStart, pattern.RowStart);
        Assert.Equal(expected.Columns, pattern.Columns);
        using var rbf = new LabelDiffusion(engine, options with { Kernel = AffinityKernel.Rbf }).Fit(features, labels);
        Assert.Null(rbf.GraphPattern);
    }
}
