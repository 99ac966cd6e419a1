using GpuSpread.Engine.Cpu;
using GpuSpread.Graphs;
using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Graphs;

/// <summary>
/// Features and a graph together, against the dense loops on the documented operators:
/// <c>(1 - mu) S_features + mu S_graph</c> (or the row-normalised T) and <c>(1 - mu) W_knn + mu W_graph</c>.
/// </summary>
public class CombinationTests(ITestOutputHelper output)
{
    private const int N = 47, Classes = 3;

    private static (double[,] X, int[] Labels, SparseGraph Graph) Data()
    {
        var (x, truth) = TestData.Blobs(21, N, 3, Classes, sigma: 0.5);
        var labels = TestData.PartialLabels(21, truth, Classes, 0.15);
        var random = new Random(3);
        var sources = new List<int>();
        var targets = new List<int>();
        var weights = new List<double>();
        for (int e = 0; e < 70; e++)
        {
            int i = random.Next(N), j = random.Next(N);
            if (i == 5 || j == 5 || i == 11 || j == 11) continue; // nodes with no edge in the graph
            sources.Add(i);
            targets.Add(j);
            weights.Add(0.5 + random.NextDouble());
        }
        return (x, labels, SparseGraph.FromEdges(N, sources.ToArray(), targets.ToArray(), weights.ToArray()));
    }

    public static TheoryData<string, DiffusionModel, AffinityKernel, double> OperatorCases()
    {
        var data = new TheoryData<string, DiffusionModel, AffinityKernel, double>();
        foreach (var engine in TestData.EngineNames)
            foreach (var model in new[] { DiffusionModel.Spreading, DiffusionModel.Propagation })
                foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
                    foreach (double mu in new[] { 0.0, 0.3, 1.0 })
                        data.Add(engine, model, kernel, mu);
        return data;
    }

    public static TheoryData<string, DiffusionModel, double> WeightCases()
    {
        var data = new TheoryData<string, DiffusionModel, double>();
        foreach (var engine in TestData.EngineNames)
        {
            data.Add(engine, DiffusionModel.Spreading, 0.4);
            data.Add(engine, DiffusionModel.Propagation, 0.4);
            data.Add(engine, DiffusionModel.Spreading, 1.0);
        }
        return data;
    }

    private static DiffusionOptions Options(DiffusionModel model, AffinityKernel kernel) =>
        (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() with { Alpha = 0.7 } : DiffusionOptions.Propagation()) with
        {
            Kernel = kernel, Gamma = 0.8, NNeighbors = 6, Tol = 1e-9, MaxIter = 3000, Precision = Precision.Float64, RowTile = 7, ColumnTile = 9,
        };

    [Theory]
    [MemberData(nameof(OperatorCases))]
    public void OperatorsMixTheNormalisedOperators(string engineName, DiffusionModel model, AffinityKernel kernel, double mu)
    {
        var (x, labels, graph) = Data();
        var options = Options(model, kernel);
        var wFeatures = DenseReference.Affinity(x, options);
        var wGraph = DenseGraphReference.Dense(graph);
        double[,] op = model == DiffusionModel.Spreading
            ? DenseGraphReference.Mix(DenseReference.Operator(wFeatures, model), 1 - mu, DenseReference.Operator(wGraph, model), mu)
            : MixRowNormalised(wFeatures, wGraph, mu);
        var expected = DenseReference.Iterate(op, labels, Classes, options);

        using var engine = TestData.CreateEngine(engineName);
        using var built = engine.BuildGraph(GraphInput.Combined(TestData.ToMatrix(x, Precision.Float64), graph, new GraphCombination { GraphWeight = mu }), options);
        var result = engine.Diffuse(built, labels, Classes, options);
        double difference = TestData.MaxDifference(result.Distributions, expected.Distributions);
        output.WriteLine($"{engineName} {model} {kernel} mu {mu}: {difference:E3}, n_iter {result.NIter} (dense {expected.NIter})");
        Assert.True(difference < 1e-9, $"differs from the dense loop by {difference:E3}");
        Assert.Equal(expected.NIter, result.NIter);
    }

    /// <summary>(1 - mu) T_a + mu T_b with a row empty in one graph taking all its weight from the other.</summary>
    private static double[,] MixRowNormalised(double[,] a, double[,] b, double mu)
    {
        var ta = DenseGraphReference.RowNormalised(a);
        var tb = DenseGraphReference.RowNormalised(b);
        int n = a.GetLength(0);
        var result = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            bool emptyA = Enumerable.Range(0, n).All(j => a[i, j] == 0), emptyB = Enumerable.Range(0, n).All(j => b[i, j] == 0);
            double shareA = emptyB ? 1 : emptyA ? 0 : 1 - mu, shareB = emptyA ? 1 : emptyB ? 0 : mu;
            for (int j = 0; j < n; j++) result[i, j] = shareA * ta[i, j] + shareB * tb[i, j];
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(WeightCases))]
    public void WeightsAddTheTwoGraphs(string engineName, DiffusionModel model, double mu)
    {
        var (x, labels, graph) = Data();
        var options = Options(model, AffinityKernel.Knn) with { KnnGraph = KnnGraphKind.Union, KnnWeights = KnnWeights.Rbf };
        var wKnn = new double[N, N];
        for (int i = 0; i < N; i++)
            foreach (int j in DenseReference.Nearest(x, x, i, options.NNeighbors))
                wKnn[i, j] = wKnn[j, i] = Math.Exp(-options.Gamma * DenseReference.SquaredDistance(x, i, x, j));
        var w = DenseGraphReference.Mix(wKnn, 1 - mu, DenseGraphReference.Dense(graph), mu);
        var expected = DenseReference.Iterate(DenseReference.Operator(w, model), labels, Classes, options);

        using var engine = TestData.CreateEngine(engineName);
        using var built = engine.BuildGraph(GraphInput.Combined(TestData.ToMatrix(x, Precision.Float64), graph,
            new GraphCombination { Mode = CombinationMode.Weights, GraphWeight = mu }), options);
        var result = engine.Diffuse(built, labels, Classes, options);
        double difference = TestData.MaxDifference(result.Distributions, expected.Distributions);
        output.WriteLine($"{engineName} {model} mu {mu}: {difference:E3}, n_iter {result.NIter} (dense {expected.NIter})");
        Assert.True(difference < 1e-9, $"differs from the dense loop by {difference:E3}");
        Assert.Equal(expected.NIter, result.NIter);
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void BadCombinationsAreRejectedByName(string engineName)
    {
        Assert.Equal("combine", Assert.Throws<InvalidParameterException>(
            () => new GraphCombination { Mode = CombinationMode.Weights }.Validate(AffinityKernel.Rbf)).Parameter);
        Assert.Equal("graph_weight", Assert.Throws<InvalidParameterException>(
            () => new GraphCombination { GraphWeight = 1.5 }.Validate(AffinityKernel.Knn)).Parameter);
        var (x, _, graph) = Data();
        using var engine = TestData.CreateEngine(engineName);
        Assert.Equal("solver", Assert.Throws<InvalidParameterException>(
            () => engine.BuildGraph(graph, DiffusionOptions.Spreading() with { Solver = Solver.ConjugateGradient })).Parameter);
        Assert.Equal("combine", Assert.Throws<InvalidParameterException>(() => engine.BuildGraph(
            GraphInput.Combined(TestData.ToMatrix(x, Precision.Float32), graph, new GraphCombination { Mode = CombinationMode.Weights }),
            DiffusionOptions.Spreading())).Parameter);
        Assert.Throws<InputDataException>(() => GraphInput.Combined(TestData.ToMatrix(x, Precision.Float32), SparseGraph.FromEdges(N + 1, [0], [1], [])));
    }
}
