using GpuSpread.Engine.Cpu;
using GpuSpread.Graphs;
using MathNet.Numerics.LinearAlgebra;

namespace GpuSpread.Tests.Graphs;

/// <summary>
/// Small graphs worked out by hand: a weighted path with an isolated node (graph input), and five points on a
/// line whose kNN graphs under every option are written out below. The fits run on every engine.
/// </summary>
public class HandComputedGraphTests
{
    // Graph input: the path 0 -2- 1 -1- 2 -3- 3 and node 4 without edges; 0 is class 10, 3 is class 20.
    private static SparseGraph Path() => SparseGraph.FromEdges(5, [0, 1, 2], [1, 2, 3], [2.0, 1.0, 3.0]);
    private static readonly long[] PathLabels = [10, -1, -1, 20, -1];

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void PropagationOverAGraphReachesTheHarmonicSolution(string engineName)
    {
        // Harmonic: f1 = (2 f0 + f2) / 3 and f2 = (f1 + 3 f3) / 4 give f1 = (8, 3) / 11 and f2 = (2, 9) / 11.
        using var engine = TestData.CreateEngine(engineName);
        using var fit = new LabelDiffusion(engine, DiffusionOptions.Propagation() with { Tol = 1e-13, MaxIter = 10_000 }).Fit(Path(), PathLabels);
        double[] expected = [1, 0, 8 / 11.0, 3 / 11.0, 2 / 11.0, 9 / 11.0, 0, 1, 0, 0];
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], fit.LabelDistributions[k / 2, k % 2], 10);
        Assert.Equal([10L, 10, 20, 20, 10], fit.Transduction); // the isolated node: all zero, classes[0]
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void SpreadingOverAGraphReachesTheClosedForm(string engineName)
    {
        // Degrees 2, 3, 4, 3 and 0 (counted as 1); S_ij = W_ij / sqrt(d_i d_j).
        var s = Matrix<double>.Build.Dense(5, 5);
        s[0, 1] = s[1, 0] = 2 / Math.Sqrt(2 * 3);
        s[1, 2] = s[2, 1] = 1 / Math.Sqrt(3 * 4);
        s[2, 3] = s[3, 2] = 3 / Math.Sqrt(4 * 3);
        const double alpha = 0.8;
        var y0 = Matrix<double>.Build.Dense(5, 2);
        y0[0, 0] = 1;
        y0[3, 1] = 1;
        var closed = (Matrix<double>.Build.DenseIdentity(5) - alpha * s).Solve((1 - alpha) * y0);

        using var engine = TestData.CreateEngine(engineName);
        using var fit = new LabelDiffusion(engine, DiffusionOptions.Spreading() with { Alpha = alpha, Tol = 1e-14, MaxIter = 10_000 }).Fit(Path(), PathLabels);
        for (int i = 0; i < 4; i++)
        {
            double sum = closed.Row(i).Sum();
            for (int c = 0; c < 2; c++) Assert.Equal(closed[i, c] / sum, fit.LabelDistributions[i, c], 10);
        }
        Assert.Equal([0.0, 0.0], fit.LabelDistributions.Row(4).ToArray());
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void AGraphWithoutFeaturesHasNoInductivePrediction(string engineName)
    {
        using var engine = TestData.CreateEngine(engineName);
        using var graph = engine.BuildGraph(Path(), DiffusionOptions.Spreading());
        var result = engine.Diffuse(graph, [0, -1, -1, 1, -1], 2, DiffusionOptions.Spreading());
        var error = Assert.Throws<NotSupportedException>(() => engine.PredictProba(graph, result, FeatureMatrix.FromDouble([1.0], 1, 1)));
        Assert.Contains("no inductive prediction", error.Message);
    }

    // kNN: points 0, 1, 3, 7, 12 on a line (nodes 0..4), k = 2. Nearest others: 0 -> 1, 3; 1 -> 0, 3; 3 -> 1, 0;
    // 7 -> 3, 12; 12 -> 7, 3. With the point itself included, each row holds itself and its nearest other.
    private static readonly double[] Line = [0, 1, 3, 7, 12];

    public static TheoryData<KnnGraphKind, KnnSelfLoops, int[][]> ConnectivityCases() => new()
    {
        // (row, column) pairs of W, each weight 1.
        { KnnGraphKind.Directed, KnnSelfLoops.Include, [[0, 0], [0, 1], [1, 1], [1, 0], [2, 2], [2, 1], [3, 3], [3, 2], [4, 4], [4, 3]] },
        { KnnGraphKind.Directed, KnnSelfLoops.Drop, [[0, 1], [0, 2], [1, 0], [1, 2], [2, 1], [2, 0], [3, 2], [3, 4], [4, 3], [4, 2]] },
        { KnnGraphKind.Union, KnnSelfLoops.Include, [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [0, 1], [1, 0], [1, 2], [2, 1], [2, 3], [3, 2], [3, 4], [4, 3]] },
        { KnnGraphKind.Union, KnnSelfLoops.Drop, [[0, 1], [1, 0], [0, 2], [2, 0], [1, 2], [2, 1], [2, 3], [3, 2], [3, 4], [4, 3], [2, 4], [4, 2]] },
        // Mutual: 1 lists 0 and 0 lists 1; 2 lists 1 but 1 does not list 2 (self included), and so on.
        { KnnGraphKind.Mutual, KnnSelfLoops.Include, [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [0, 1], [1, 0]] },
        // Without self: 0-1, 0-2, 1-2 and 3-4 are mutual; 3 lists 2 and 4 lists 2, but 2 lists neither.
        { KnnGraphKind.Mutual, KnnSelfLoops.Drop, [[0, 1], [1, 0], [0, 2], [2, 0], [1, 2], [2, 1], [3, 4], [4, 3]] },
    };

    [Theory]
    [MemberData(nameof(ConnectivityCases))]
    public void KnnConnectivityGraphsAreTheHandComputedOnes(KnnGraphKind kind, KnnSelfLoops selfLoops, int[][] pairs)
    {
        var expected = new double[5, 5];
        foreach (var pair in pairs) expected[pair[0], pair[1]] = 1;
        var w = KnnW(new DiffusionOptions { Kernel = AffinityKernel.Knn, NNeighbors = 2, KnnGraph = kind, KnnSelfLoops = selfLoops });
        Assert.Equal(expected, w);
    }

    [Fact]
    public void KnnRbfWeightsAreTheHandComputedOnes()
    {
        // Union without self, gamma 0.1: exp(-0.1 d^2) for d = 1 (0-1), 3 (0-2), 2 (1-2), 4 (2-3), 5 (3-4), 9 (2-4).
        var expected = new double[5, 5];
        void Edge(int i, int j, double d) => expected[i, j] = expected[j, i] = Math.Exp(-0.1 * d * d);
        Edge(0, 1, 1);
        Edge(0, 2, 3);
        Edge(1, 2, 2);
        Edge(2, 3, 4);
        Edge(3, 4, 5);
        Edge(2, 4, 9);
        var w = KnnW(new DiffusionOptions
        {
            Kernel = AffinityKernel.Knn, NNeighbors = 2, Gamma = 0.1, KnnGraph = KnnGraphKind.Union, KnnSelfLoops = KnnSelfLoops.Drop, KnnWeights = KnnWeights.Rbf,
        });
        Assert.True(GraphParityTests.MaxDifference(expected, w) < 1e-15);
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void SpreadingOverTheSymmetricRbfKnnGraphReachesTheClosedForm(string engineName)
    {
        var options = DiffusionOptions.Spreading() with
        {
            Kernel = AffinityKernel.Knn, NNeighbors = 2, Gamma = 0.1, KnnGraph = KnnGraphKind.Union, KnnSelfLoops = KnnSelfLoops.Drop,
            KnnWeights = KnnWeights.Rbf, Alpha = 0.9, Tol = 1e-14, MaxIter = 10_000, Precision = Precision.Float64,
        };
        var w = KnnW(options);
        var s = Matrix<double>.Build.DenseOfArray(Reference.DenseReference.Operator(w, DiffusionModel.Spreading));
        var y0 = Matrix<double>.Build.Dense(5, 2);
        y0[0, 0] = 1;
        y0[4, 1] = 1;
        var closed = (Matrix<double>.Build.DenseIdentity(5) - 0.9 * s).Solve(0.1 * y0);

        using var engine = TestData.CreateEngine(engineName);
        using var graph = engine.BuildGraph(LineFeatures(Precision.Float64), options);
        var result = engine.Diffuse(graph, [0, -1, -1, -1, 1], 2, options);
        for (int i = 0; i < 5; i++)
            for (int c = 0; c < 2; c++) Assert.Equal(closed[i, c] / closed.Row(i).Sum(), result.Distributions[i * 2 + c], 10);

        // predict_proba of x = 2.5: its neighbours 3 (d = 0.5) and 1 (d = 1.5), weighted exp(-0.1 d^2).
        var proba = engine.PredictProba(graph, result, FeatureMatrix.FromDouble([2.5], 1, 1));
        double w2 = Math.Exp(-0.1 * 0.25), w1 = Math.Exp(-0.1 * 2.25);
        double p0 = w2 * result.Distributions[4] + w1 * result.Distributions[2];
        double p1 = w2 * result.Distributions[5] + w1 * result.Distributions[3];
        Assert.Equal(p0 / (p0 + p1), proba[0], 12);
        Assert.Equal(p1 / (p0 + p1), proba[1], 12);
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void MutualKnnLeavesSeparateComponentsApart(string engineName)
    {
        // Mutual without self: {0, 1, 2} and {3, 4}; a label in the first never reaches the second.
        var options = DiffusionOptions.Spreading() with
        {
            Kernel = AffinityKernel.Knn, NNeighbors = 2, KnnGraph = KnnGraphKind.Mutual, KnnSelfLoops = KnnSelfLoops.Drop, Tol = 1e-12, MaxIter = 1000,
        };
        using var engine = TestData.CreateEngine(engineName);
        using var graph = engine.BuildGraph(LineFeatures(Precision.Float32), options);
        var result = engine.Diffuse(graph, [0, -1, -1, -1, -1], 1, options);
        Assert.Equal([1.0, 1.0, 1.0, 0.0, 0.0], result.Distributions);
    }

    [Fact]
    public void TheDefaultsAreScikitLearnsKnnGraph()
    {
        var options = new DiffusionOptions { Kernel = AffinityKernel.Knn, NNeighbors = 2 };
        Assert.Equal(KnnGraphKind.Directed, options.KnnGraph);
        Assert.Equal(KnnSelfLoops.Include, options.KnnSelfLoops);
        Assert.Equal(KnnWeights.Connectivity, options.KnnWeights);
        Assert.True(options.HasScikitLearnKnnGraph);
    }

    [Fact]
    public void BadKnnOptionsAreRejectedByName()
    {
        var options = new DiffusionOptions { Kernel = AffinityKernel.Knn, KnnGraph = (KnnGraphKind)7 };
        Assert.Equal("knn_graph", Assert.Throws<InvalidParameterException>(() => options.Validate(10)).Parameter);
        options = new DiffusionOptions { Kernel = AffinityKernel.Knn, KnnWeights = KnnWeights.Rbf, Gamma = 0 };
        Assert.Equal("gamma", Assert.Throws<InvalidParameterException>(() => options.Validate(10)).Parameter);
        options = new DiffusionOptions { Kernel = AffinityKernel.Knn, KnnSelfLoops = KnnSelfLoops.Drop, NNeighbors = 5 };
        Assert.Equal("n_neighbors", Assert.Throws<InvalidParameterException>(() => options.Validate(5)).Parameter);
    }

    private static FeatureMatrix LineFeatures(Precision precision) => precision == Precision.Float64
        ? FeatureMatrix.FromDouble(Line, 5, 1)
        : FeatureMatrix.FromSingle(Line.Select(v => (float)v).ToArray(), 5, 1);

    private static double[,] KnnW(DiffusionOptions options)
    {
        using var engine = new CpuEngine();
        using var graph = engine.BuildGraph(LineFeatures(options.Precision), options);
        return GraphParityTests.Dense(Assert.IsType<CsrOperator>(GraphParityTests.OperatorOf(graph)).Matrix);
    }
}
