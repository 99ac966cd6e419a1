using GpuSpread.Engine.Cpu;
using GpuSpread.Experiments.Citation;
using GpuSpread.Tests.Graphs;

namespace GpuSpread.Tests.Citation;

/// <summary>
/// The engine's exact kNN search on the bag-of-words rows scaled to unit length (thousands of dimensions, duplicate
/// rows, and CiteSeer's all-zero rows moved away by their extra coordinate), every 37th row against brute force.
/// </summary>
public class CitationKnnTests(ITestOutputHelper output)
{
    [Fact]
    public void RowsWithoutWordsAreMovedAwayFromTheOthers()
    {
        var rows = CitationBenchmark.UnitRows(FeatureMatrix.FromDouble([0, 0, 3, 4, 0, 2], 3, 2));
        Assert.Equal(3, rows.Cols);
        Assert.Equal([0f, 0f, 2f, 0.6f, 0.8f, 0f, 0f, 1f, 0f], rows.Single!);
        // Squared distance 5 from the empty row to any unit row, at most 4 between unit rows.
        Assert.Equal(2, CitationBenchmark.UnitRows(FeatureMatrix.FromDouble([1, 0, 0, 1], 2, 2)).Cols);
    }

    [CitationFact("cora")]
    public void KnnSearchOnCoraIsExact() => KnnSearchOnUnitRowsIsExact("cora");

    [CitationFact("citeseer")]
    public void KnnSearchOnCiteSeerIsExact() => KnnSearchOnUnitRowsIsExact("citeseer");

    private void KnnSearchOnUnitRowsIsExact(string name)
    {
        var data = CitationDataset.Load(RepositoryPaths.Dataset(name)!);
        var features = CitationBenchmark.UnitRows(data.Features);
        const int k = 10;
        var options = new DiffusionOptions { Kernel = AffinityKernel.Knn, NNeighbors = k };
        var neighbours = GraphKnn.Find<float>(features, options, KnnSearchMethod.Exact, k, null, default).Neighbours;
        int n = features.Rows, d = features.Cols, wrong = 0;
        var x = features.Single!;
        for (int i = 0; i < n; i += 37)
        {
            var distance = new double[n];
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int f = 0; f < d; f++)
                {
                    double diff = (double)x[(long)i * d + f] - x[(long)j * d + f];
                    sum += diff * diff;
                }
                distance[j] = sum;
            }
            var expected = Enumerable.Range(0, n).OrderBy(j => distance[j]).ThenBy(j => j).Take(k).ToArray();
            var actual = neighbours.AsSpan(i * k, k).ToArray();
            // The k-th distance must agree (ties may pick different points at equal distance).
            double expectedWorst = distance[expected[^1]];
            double actualWorst = actual.Max(j => distance[j]);
            if (Math.Abs(expectedWorst - actualWorst) > 1e-9)
            {
                wrong++;
                if (wrong < 5) output.WriteLine($"row {i}: expected {string.Join(",", expected)} ({expectedWorst}), got {string.Join(",", actual)} ({actualWorst})");
            }
        }
        Assert.Equal(0, wrong);
    }
}
