using GpuSpread.Engine.Cpu;
using GpuSpread.Graphs;
using GpuSpread.Tests.Fixtures;
using Xunit.Abstractions;

namespace GpuSpread.Tests.Graphs;

/// <summary>
/// Graph input and the kNN options against scikit-learn 1.2.1 run with a callable kernel that returns the same W
/// (tests/Graphs/make_graph_fixtures.py): distributions within 1e-9 (float64) or 1e-5 (float32), the same n_iter,
/// the same predictions, the same predict_proba; and the CSR operator with scikit-learn's own kNN graph against
/// the knn fixtures of tests/fixtures.
/// </summary>
public class GraphParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> GraphCases() => new(GraphFixture.Names("graph_"));

    public static TheoryData<string, Precision> KnnCases()
    {
        var data = new TheoryData<string, Precision>();
        foreach (var name in GraphFixture.Names("knn_"))
            foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                data.Add(name, precision);
        return data;
    }

    [Theory]
    [MemberData(nameof(GraphCases))]
    public void GraphInputMatchesScikitLearn(string name)
    {
        var fixture = GraphFixture.Load(name);
        using var engine = new CpuEngine();
        var fit = GraphDiffusion.Fit(engine, null, fixture.Graph(), null, fixture.Y, fixture.Options);
        double difference = TestData.MaxDifference(fit.Result.Distributions, fixture.LabelDistributions);
        output.WriteLine($"{name}: max |difference| {difference:E3}, n_iter {fit.Result.NIter} (sklearn {fixture.NIter})");
        Assert.Equal(fixture.Classes, fit.Classes);
        Assert.True(difference < 1e-9, $"distributions differ from scikit-learn's by {difference:E3}");
        Assert.Equal(fixture.NIter, fit.Result.NIter);
        Assert.Equal(fixture.NIter < fixture.Options.MaxIter, fit.Result.Converged);
        Assert.Equal(fixture.Transduction, fit.Transduction);
    }

    [Theory]
    [MemberData(nameof(KnnCases))]
    public void KnnOptionsMatchScikitLearn(string name, Precision precision)
    {
        var fixture = GraphFixture.Load(name);
        var options = fixture.Options with { Precision = precision, RowTile = 7, ColumnTile = 8 };
        using var engine = new CpuEngine();
        var features = TestData.ToMatrix(fixture.X!, precision);
        using var graph = engine.BuildGraph(features, options);

        // The graph itself: scikit-learn's kneighbors_graph, symmetrised by scipy.
        var op = Assert.IsType<CsrOperator>(OperatorOf(graph));
        double wDifference = MaxDifference(Dense(op.Matrix), fixture.W!);
        Assert.True(wDifference < (precision == Precision.Float64 ? 1e-12 : 1e-6), $"W differs from scikit-learn's by {wDifference:E3}");

        var (classes, classIndex) = LabelEncoding.Encode(fixture.Y, fixture.N);
        var result = engine.Diffuse(graph, classIndex, classes.Length, options);
        double tolerance = precision == Precision.Float64 ? 1e-9 : 1e-5;
        double difference = TestData.MaxDifference(result.Distributions, fixture.LabelDistributions);
        output.WriteLine($"{name} {precision}: W {wDifference:E3}, distributions {difference:E3}, n_iter {result.NIter} (sklearn {fixture.NIter})");
        Assert.True(difference < tolerance, $"distributions differ from scikit-learn's by {difference:E3}");
        Assert.Equal(fixture.NIter, result.NIter);
        Assert.Equal(fixture.Transduction, LabelEncoding.Decode(classes, result.Distributions, fixture.N));

        var proba = engine.PredictProba(graph, result, TestData.ToMatrix(fixture.XNew!, precision));
        double probaDifference = TestData.MaxDifference(proba, fixture.PredictProba!);
        Assert.True(probaDifference < tolerance, $"predict_proba differs from scikit-learn's by {probaDifference:E3}");
    }

    /// <summary>scikit-learn's knn fixtures run through the CSR operator built with the default options (directed, self included, connectivity).</summary>
    [Theory]
    [InlineData("blobs_spreading_knn5")]
    [InlineData("blobs_propagation_knn7")]
    public void CsrOperatorWithTheDefaultKnnGraphMatchesScikitLearn(string name)
    {
        var fixture = SklearnFixture.Load(name);
        var options = fixture.Options with { Precision = Precision.Float64 };
        Assert.True(options.HasScikitLearnKnnGraph);
        var features = TestData.ToMatrix(fixture.X, Precision.Float64);
        int searched = GraphKnn.SearchCount(options);
        var neighbours = GraphKnn.Find<double>(features, options, searched, null, default).Neighbours;
        var op = new CsrOperator(GraphKnn.Matrix(neighbours, searched, features, options), options.Model);
        var (classes, classIndex) = LabelEncoding.Encode(fixture.Y, features.Rows);
        var result = FixedPointLoop.Run(op, classIndex, classes.Length, options, null, default);
        double difference = TestData.MaxDifference(result.Distributions, fixture.LabelDistributions);
        output.WriteLine($"{name}: {difference:E3}, n_iter {result.NIter} (sklearn {fixture.NIter})");
        Assert.True(difference < 1e-9, $"distributions differ from scikit-learn's by {difference:E3}");
        Assert.Equal(fixture.NIter, result.NIter);
    }

    internal static IDiffusionOperator OperatorOf(IAffinityGraph graph) => graph switch
    {
        CpuGraph<float> single => single.Operator,
        CpuGraph<double> @double => @double.Operator,
        OperatorGraph other => other.Operator,
        _ => throw new ArgumentException(graph.GetType().Name),
    };

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
