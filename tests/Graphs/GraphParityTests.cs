using GpuSpread.Engine.Cpu;
using GpuSpread.Graphs;
using GpuSpread.Tests.Fixtures;

namespace GpuSpread.Tests.Graphs;

/// <summary>
/// Graph input and the kNN options against scikit-learn 1.2.1 run with a callable kernel that returns the same W
/// (tests/Graphs/make_graph_fixtures.py), on every engine: distributions within 1e-9 (float64) or 1e-5 (float32), the
/// same n_iter, the same predictions, the same predict_proba; and the CPU engine's W itself against scikit-learn's.
/// </summary>
public class GraphParityTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> GraphCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var engine in TestData.EngineNames)
            foreach (var name in GraphFixture.Names("graph_"))
                data.Add(engine, name);
        return data;
    }

    public static TheoryData<string, string, Precision> KnnCases()
    {
        var data = new TheoryData<string, string, Precision>();
        foreach (var engine in TestData.EngineNames)
            foreach (var name in GraphFixture.Names("knn_"))
                foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                    data.Add(engine, name, precision);
        return data;
    }

    [Theory]
    [MemberData(nameof(GraphCases))]
    public void GraphInputMatchesScikitLearn(string engineName, string name)
    {
        var fixture = GraphFixture.Load(name);
        using var engine = TestData.CreateEngine(engineName);
        using var fit = new LabelDiffusion(engine, fixture.Options).Fit(fixture.Graph(), fixture.Y);
        double difference = TestData.MaxDifference(fit.LabelDistributions, fixture.LabelDistributions);
        output.WriteLine($"{engineName} {name}: max |difference| {difference:E3}, n_iter {fit.NIter} (sklearn {fixture.NIter})");
        Assert.Equal(fixture.Classes, fit.Classes);
        Assert.True(difference < 1e-9, $"distributions differ from scikit-learn's by {difference:E3}");
        Assert.Equal(fixture.NIter, fit.NIter);
        Assert.Equal(fixture.NIter < fixture.Options.MaxIter, fit.Converged);
        Assert.Equal(fixture.Transduction, fit.Transduction);
    }

    [Theory]
    [MemberData(nameof(KnnCases))]
    public void KnnOptionsMatchScikitLearn(string engineName, string name, Precision precision)
    {
        var fixture = GraphFixture.Load(name);
        var options = fixture.Options with { Precision = precision, RowTile = 7, ColumnTile = 8 };
        using var engine = TestData.CreateEngine(engineName);
        using var fit = new LabelDiffusion(engine, options).Fit(TestData.ToMatrix(fixture.X!, precision), fixture.Y);
        double tolerance = precision == Precision.Float64 ? 1e-9 : 1e-5;
        double difference = TestData.MaxDifference(fit.LabelDistributions, fixture.LabelDistributions);
        output.WriteLine($"{engineName} {name} {precision}: distributions {difference:E3}, n_iter {fit.NIter} (sklearn {fixture.NIter})");
        Assert.True(difference < tolerance, $"distributions differ from scikit-learn's by {difference:E3}");
        Assert.Equal(fixture.NIter, fit.NIter);
        Assert.Equal(fixture.Transduction, fit.Transduction);

        var proba = fit.PredictProba(TestData.ToMatrix(fixture.XNew!, precision));
        double probaDifference = TestData.MaxDifference(proba, fixture.PredictProba!);
        Assert.True(probaDifference < tolerance, $"predict_proba differs from scikit-learn's by {probaDifference:E3}");
    }

    public static TheoryData<string, Precision> KnnGraphCases()
    {
        var data = new TheoryData<string, Precision>();
        foreach (var name in GraphFixture.Names("knn_"))
            foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                data.Add(name, precision);
        return data;
    }

    /// <summary>The graph itself, as the engines share it (the core's KnnGraph): scikit-learn's kneighbors_graph, symmetrised by scipy.</summary>
    [Theory]
    [MemberData(nameof(KnnGraphCases))]
    public void KnnGraphIsScikitLearns(string name, Precision precision)
    {
        var fixture = GraphFixture.Load(name);
        var options = fixture.Options with { Precision = precision, RowTile = 7, ColumnTile = 8 };
        using var engine = new CpuEngine();
        using var graph = engine.BuildGraph(TestData.ToMatrix(fixture.X!, precision), options);
        var op = Assert.IsType<CsrOperator>(OperatorOf(graph));
        double wDifference = MaxDifference(Dense(op.Matrix), fixture.W!);
        Assert.True(wDifference < (precision == Precision.Float64 ? 1e-12 : 1e-6), $"W differs from scikit-learn's by {wDifference:E3}");
    }

    internal static IDiffusionOperator OperatorOf(IAffinityGraph graph) => Assert.IsType<CpuGraph>(graph).Operator;

    internal static double[,] Dense(LogCsr matrix)
    {
        var w = new double[matrix.Rows, matrix.Rows];
        for (int i = 0; i < matrix.Rows; i++)
            for (int e = matrix.RowStart[i]; e < matrix.RowStart[i + 1]; e++) w[i, matrix.Columns[e]] = Math.Exp(matrix.LogWeights[e]);
        return w;
    }

    internal static double MaxDifference(double[,] a, double[,] b)
    {
        Assert.Equal(a.GetLength(0), b.GetLength(0));
        Assert.Equal(a.GetLength(1), b.GetLength(1));
        double worst = 0;
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++) worst = Math.Max(worst, Math.Abs(a[i, j] - b[i, j]));
        return worst;
    }
}
