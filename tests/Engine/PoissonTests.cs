using GpuSpread.Graphs;
using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// Poisson learning on every engine against a dense float64 transcription of GraphLearning's loop
/// (<see cref="PoissonReference"/>: the same iterations, the same stopping rule), against the exact solution of the graph
/// Poisson equation where the walk mixes fast, and its invariances; the class-mass correction; what it refuses.
/// </summary>
public class PoissonTests(ITestOutputHelper output)
{
    public enum GraphSource { Rbf, Knn, GivenGraph }

    public static TheoryData<string, GraphSource, Precision, int> Cases()
    {
        var data = new TheoryData<string, GraphSource, Precision, int>();
        int seed = 300;
        foreach (var engine in TestData.EngineNames)
            foreach (var source in Enum.GetValues<GraphSource>())
                foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                    data.Add(engine, source, precision, seed++);
        return data;
    }

    /// <summary>
    /// A case of <see cref="Cases"/>: the input in <paramref name="precision"/>, the dense W of what the engine reads, the
    /// labels (3 classes) and the options.
    /// </summary>
    private static (GraphInput Input, double[,] W, int[] Labels, DiffusionOptions Options) Problem(GraphSource source, Precision precision, int seed)
    {
        var random = new Random(seed);
        int n = 35 + 2 * random.Next(8);
        var (x, truth) = Strand(seed, n, 5, 3);
        var labels = source == GraphSource.GivenGraph ? Corner(3 * n, 3) : OnePerClassAndAFew(random, truth, 3, extra: 2);
        var options = DiffusionOptions.Poisson() with
        {
            Kernel = source == GraphSource.Knn ? AffinityKernel.Knn : AffinityKernel.Rbf, Gamma = 4, NNeighbors = 3,
            Precision = precision, MaxIter = 400, RowTile = 7, ColumnTile = 13,
        };
        if (source != GraphSource.GivenGraph)
            return (TestData.ToMatrix(x, precision), DenseReference.Affinity(TestData.Rounded(x, precision), options), labels, options);
        var graph = RandomDirectedGraph(random, 3 * n);
        return (graph, Dense(graph), labels, options);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesGraphLearningsLoop(string engineName, GraphSource source, Precision precision, int seed)
    {
        var (input, w, labels, options) = Problem(source, precision, seed);
        output.WriteLine($"seed {seed}: n={labels.Length}, {source}, {precision}, labeled rows {string.Join(" ", Enumerable.Range(0, labels.Length).Where(i => labels[i] >= 0))}");

        var expected = PoissonReference.Fit(w, labels, 3, options.MaxIter);
        using var engine = TestData.CreateEngine(engineName);
        using var graphBuilt = engine.BuildGraph(input, options);
        var fitted = engine.Diffuse(graphBuilt, labels, 3, options);

        output.WriteLine($"reference n_iter {expected.NIter} (converged {expected.Converged}); engine n_iter {fitted.NIter}");
        Assert.Equal(expected.NIter, fitted.NIter);
        Assert.Equal(expected.Converged, fitted.Converged);
        var distributions = PoissonReference.Distributions(expected.Scores);
        double tolerance = precision == Precision.Float64 || source == GraphSource.GivenGraph ? 1e-9 : 1e-4;
        double difference = TestData.MaxDifference(fitted.Distributions, distributions);
        output.WriteLine($"max |difference| {difference:E3}");
        Assert.True(difference < tolerance, $"seed {seed}: max difference {difference:E3} exceeds {tolerance:E1}");
    }

    /// <summary>The cases above must run past the first 50 iterations and stop by the walk, not by max_iter, to test the rule.</summary>
    [Fact]
    public void TheWalkDecidesWhenTheLoopStops()
    {
        // The cpu engine's float64 cases of Cases(): the first engine, the second precision of each source.
        foreach (var source in Enum.GetValues<GraphSource>())
        {
            int seed = 300 + 2 * (int)source + 1;
            var (_, w, labels, options) = Problem(source, Precision.Float64, seed);
            var result = PoissonReference.Fit(w, labels, 3, options.MaxIter);
            output.WriteLine($"seed {seed} {source}: n_iter {result.NIter}");
            Assert.True(result.Converged && result.NIter > PoissonLearning.MinIterations, $"seed {seed} {source}: n_iter {result.NIter}");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void ReachesTheSolutionOfThePoissonEquationWhereTheWalkMixesFast(string engineName)
    {
        const int seed = 41, n = 31, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, 4, classes, sigma: 0.5);
        var labels = OnePerClassAndAFew(new Random(seed), truth, classes, extra: 1);
        var options = DiffusionOptions.Poisson() with { Gamma = 0.02, Precision = Precision.Float64 };
        var exact = PoissonReference.Solve(DenseReference.Affinity(x, options), labels, classes);
        using var engine = TestData.CreateEngine(engineName);
        var fitted = TestData.Fit(engine, x, labels, classes, options);
        double difference = TestData.MaxDifference(fitted.Distributions, PoissonReference.Distributions(exact));
        output.WriteLine($"n_iter {fitted.NIter}, max |difference| from the exact solution {difference:E3}");
        Assert.True(difference < 1e-8, $"max difference {difference:E3}");
    }

    /// <summary>The reference itself on a closed form: on the complete graph L = n I - J, so u = b / n.</summary>
    [Fact]
    public void TheReferenceSolvesTheCompleteGraph()
    {
        const int n = 9, classes = 2;
        var w = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) w[i, j] = i == j ? 0 : 1;
        int[] labels = [0, -1, 1, -1, 0, -1, -1, -1, -1];
        var result = PoissonReference.Fit(w, labels, classes, 1000);
        double[] mean = [2.0 / 3, 1.0 / 3];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++)
            {
                double b = labels[i] < 0 ? 0 : (labels[i] == c ? 1 : 0) - mean[c];
                Assert.Equal(b / n, result.Scores[i, c], 12);
            }
        Assert.Equal(PoissonLearning.MinIterations, result.NIter);
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void ScalingEveryWeightChangesNothing(string engineName)
    {
        var random = new Random(7);
        var graph = RandomDirectedGraph(random, 23);
        var scaled = SparseGraph.FromCsr(graph.Nodes, graph.RowStart, graph.Columns, Array.ConvertAll(graph.Weights, w => 1000 * w));
        int[] labels = [0, -1, -1, 1, -1, -1, 2, -1, -1, -1, 0, -1, -1, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1];
        var options = DiffusionOptions.Poisson();
        using var engine = TestData.CreateEngine(engineName);
        using var first = engine.BuildGraph(graph, options);
        using var second = engine.BuildGraph(scaled, options);
        var a = engine.Diffuse(first, labels, 3, options);
        var b = engine.Diffuse(second, labels, 3, options);
        Assert.Equal(a.NIter, b.NIter);
        for (int k = 0; k < a.Distributions.Length; k++) Assert.Equal(a.Distributions[k], b.Distributions[k], 12);
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void ClassPriorsWeighEachClassByItsPriorOverItsShareOfTheLabels(string engineName)
    {
        const int seed = 17, n = 41, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, 5, classes, sigma: 0.8);
        var labels = OnePerClassAndAFew(new Random(seed), truth, classes, extra: 3);
        var priors = new Dictionary<long, double> { [0] = 1, [1] = 2, [2] = 5 };
        var options = DiffusionOptions.Poisson() with
        {
            Kernel = AffinityKernel.Knn, NNeighbors = 5, Precision = Precision.Float64, ClassPriors = ClassPriors.FromWeights(priors),
        };
        using var engine = TestData.CreateEngine(engineName);
        using var model = new LabelDiffusion(engine, options);
        model.Fit(TestData.ToMatrix(x, Precision.Float64), labels.Select(l => (long)l).ToArray());

        var expected = PoissonReference.Fit(DenseReference.Affinity(x, options), labels, classes, options.MaxIter);
        var share = Enumerable.Range(0, classes).Select(c => labels.Count(l => l == c) / (double)labels.Count(l => l >= 0)).ToArray();
        var weights = Enumerable.Range(0, classes).Select(c => priors[c] / 8.0 / share[c]).ToArray();
        var corrected = PoissonReference.Distributions(expected.Scores, weights);
        double difference = TestData.MaxDifference(model.LabelDistributions, corrected);
        Assert.True(difference < 1e-9, $"max difference {difference:E3}");
        // The correction must matter here, or this test could not fail.
        Assert.True(TestData.MaxDifference(model.LabelDistributions, PoissonReference.Distributions(expected.Scores)) > 1e-3);
    }

    [Fact]
    public void WhatPoissonLearningRefusesIsSaid()
    {
        var (x, truth) = TestData.Blobs(3, 30, 3, 2);
        var features = TestData.ToMatrix(x, Precision.Float64);
        var labels = OnePerClassAndAFew(new Random(3), truth, 2, extra: 0);
        using var engine = new GpuSpread.Engine.Cpu.CpuEngine();

        var cg = Assert.Throws<InvalidParameterException>(() => engine.BuildGraph(features, DiffusionOptions.Poisson() with { Solver = Solver.ConjugateGradient }));
        Assert.Contains("'fixed-point' with model 'poisson'", cg.Message);

        var spreadingPriors = Assert.Throws<InvalidParameterException>(() =>
            engine.BuildGraph(features, DiffusionOptions.Spreading() with { ClassPriors = ClassPriors.Uniform }));
        Assert.Contains("class_priors", spreadingPriors.Message);

        var graph = RandomDirectedGraph(new Random(3), 30);
        var mixed = Assert.Throws<InvalidParameterException>(() => engine.BuildGraph(GraphInput.Combined(features, graph), DiffusionOptions.Poisson()));
        Assert.Contains("'weights' with model 'poisson'", mixed.Message);

        using var built = engine.BuildGraph(features, DiffusionOptions.Poisson());
        var start = new double[30 * 2];
        var warm = Assert.Throws<ArgumentException>(() => engine.Diffuse(built, labels, 2, DiffusionOptions.Poisson(), start: start));
        Assert.Contains("warm start", warm.Message);

        using var model = new LabelDiffusion(engine, DiffusionOptions.Poisson() with { ClassPriors = ClassPriors.FromWeights(new Dictionary<long, double> { [0] = 1 }) });
        var missing = Assert.Throws<InvalidParameterException>(() => model.Fit(features, labels.Select(l => (long)l).ToArray()));
        Assert.Contains("class 1 has none", missing.Message);
    }

    /// <summary>
    /// Points along a noisy strand (x_0 = i / 2), classes in consecutive thirds: a graph on it is long and thin, so its
    /// random walk takes well over 50 steps to spread and the stopping rule, not the minimum, ends the loop.
    /// </summary>
    private static (double[,] X, int[] Truth) Strand(int seed, int n, int d, int classes)
    {
        var random = new Random(seed);
        var x = new double[n, d];
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            x[i, 0] = 0.5 * i + 0.1 * TestData.Gaussian(random);
            for (int f = 1; f < d; f++) x[i, f] = 0.1 * TestData.Gaussian(random);
            truth[i] = i * classes / n;
        }
        return (x, truth);
    }

    /// <summary>Rows 0, 1, 2, ... labeled with classes 0, 1, 2, ...: on a ring the walk must go all the way round.</summary>
    private static int[] Corner(int n, int classes) => Enumerable.Range(0, n).Select(i => i < classes ? i : -1).ToArray();

    /// <summary>One labeled row per class (so every class has a source) and <paramref name="extra"/> more, at random.</summary>
    private static int[] OnePerClassAndAFew(Random random, int[] truth, int classes, int extra)
    {
        var labels = Enumerable.Repeat(-1, truth.Length).ToArray();
        for (int c = 0; c < classes; c++)
        {
            var rows = Enumerable.Range(0, truth.Length).Where(i => truth[i] == c).ToArray();
            int row = rows[random.Next(rows.Length)];
            labels[row] = c;
        }
        for (int added = 0; added < extra;)
        {
            int row = random.Next(truth.Length);
            if (labels[row] >= 0) continue;
            labels[row] = truth[row];
            added++;
        }
        return labels;
    }

    /// <summary>A connected directed graph: a ring one way and a chord 2 steps on, weights from 0.02 to 3; long and thin, like the strand.</summary>
    private static SparseGraph RandomDirectedGraph(Random random, int n)
    {
        var sources = new List<int>();
        var targets = new List<int>();
        var weights = new List<double>();
        for (int i = 0; i < n; i++)
        {
            sources.Add(i);
            targets.Add((i + 1) % n);
            weights.Add(0.02 + 2.98 * random.NextDouble());
            sources.Add(i);
            targets.Add((i + 2) % n);
            weights.Add(0.02 + 2.98 * random.NextDouble());
        }
        return SparseGraph.FromEdges(n, sources.ToArray(), targets.ToArray(), weights.ToArray(), symmetrise: false);
    }

    private static double[,] Dense(SparseGraph graph)
    {
        var w = new double[graph.Nodes, graph.Nodes];
        for (int i = 0; i < graph.Nodes; i++)
        {
            var columns = graph.Neighbours(i);
            var weights = graph.NeighbourWeights(i);
            for (int e = 0; e < columns.Length; e++) w[i, columns[e]] = weights[e];
        }
        return w;
    }
}
