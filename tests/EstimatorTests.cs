using GpuSpread.Engine.Cpu;
using GpuSpread.Tests.Fixtures;

namespace GpuSpread.Tests;

/// <summary>The estimator holds one options record, keeps its graph for refits, and says when it is not fitted.</summary>
public class EstimatorTests
{
    [Fact]
    public void TheScikitLearnPropertiesAreViewsOfTheOneOptionsRecord()
    {
        using var engine = new CpuEngine();
        using var spreading = new LabelSpreading(engine)
        {
            Alpha = 0.37, Kernel = AffinityKernel.Knn, Gamma = 3.5, NNeighbors = 11, MaxIter = 77, Tol = 1e-5, Precision = Precision.Float64,
            MemoryLimitBytes = 1L << 30, Float64UnderflowCut = false, Solver = Solver.ConjugateGradient,
            KnnGraph = KnnGraphKind.Mutual, KnnSelfLoops = KnnSelfLoops.Drop, KnnWeights = KnnWeights.Rbf, KnnSearch = KnnSearchMethod.Exact,
        };
        var expected = DiffusionOptions.Spreading() with
        {
            Alpha = 0.37, Kernel = AffinityKernel.Knn, Gamma = 3.5, NNeighbors = 11, MaxIter = 77, Tol = 1e-5, Precision = Precision.Float64,
            MemoryLimitBytes = 1L << 30, Float64UnderflowCut = false, Solver = Solver.ConjugateGradient,
            KnnGraph = KnnGraphKind.Mutual, KnnSelfLoops = KnnSelfLoops.Drop, KnnWeights = KnnWeights.Rbf, KnnSearch = KnnSearchMethod.Exact,
        };
        Assert.Equal(expected, spreading.Options);
        Assert.Equal(DiffusionOptions.Propagation(), new LabelPropagation(engine).Options);
        Assert.Equal(expected, new LabelDiffusion(engine, expected).Options);
    }

    [Fact]
    public void ARefitKeepsTheGraphAndGivesAFreshFitsAnswer()
    {
        const int n = 83, classes = 3;
        var (x, truth) = TestData.Blobs(5, n, 4, classes);
        var first = Array.ConvertAll(TestData.PartialLabels(5, truth, classes, 0.05), l => (long)l);
        var second = Array.ConvertAll(TestData.PartialLabels(6, truth, classes, 0.2), l => (long)l);
        var features = TestData.ToMatrix(x, Precision.Float64);
        using var engine = new CpuEngine();
        using var estimator = new LabelSpreading(engine) { Gamma = 1, Precision = Precision.Float64 };
        Assert.Throws<InvalidOperationException>(() => estimator.Refit(second));
        estimator.Fit(features, first);
        Assert.True(estimator.GraphSeconds > 0);
        estimator.Refit(second);
        Assert.Equal(0, estimator.GraphSeconds);
        using var fresh = new LabelSpreading(engine) { Gamma = 1, Precision = Precision.Float64 };
        fresh.Fit(features, second);
        Assert.Equal(fresh.Result.Distributions, estimator.Result.Distributions);
        Assert.Equal(fresh.Transduction, estimator.Transduction);
        Assert.Equal(fresh.NIter, estimator.NIter);
    }

    [Fact]
    public void IntAndLongLabelsAndSpansFitAlike()
    {
        const int n = 61, classes = 4;
        var (x, truth) = TestData.Blobs(11, n, 3, classes);
        int[] ints = TestData.PartialLabels(11, truth, classes, 0.1);
        long[] longs = Array.ConvertAll(ints, l => (long)l);
        long[] padded = [7, .. longs, 7];
        var features = TestData.ToMatrix(x, Precision.Float64);
        using var engine = new CpuEngine();
        using var fromLongs = new LabelSpreading(engine) { Gamma = 1, Precision = Precision.Float64 };
        fromLongs.Fit(features, longs);
        using var fromInts = new LabelSpreading(engine) { Gamma = 1, Precision = Precision.Float64 };
        fromInts.Fit(features, ints);
        using var fromSlice = new LabelSpreading(engine) { Gamma = 1, Precision = Precision.Float64 };
        fromSlice.Fit(features, padded.AsSpan(1, n));
        foreach (var other in new[] { fromInts, fromSlice })
        {
            Assert.Equal(fromLongs.Classes, other.Classes);
            Assert.Equal(fromLongs.Result.Distributions, other.Result.Distributions);
            Assert.Equal(fromLongs.Transduction, other.Transduction);
        }

        int[] more = TestData.PartialLabels(12, truth, classes, 0.3);
        fromInts.Refit(more);
        fromLongs.Refit(Array.ConvertAll(more, l => (long)l));
        Assert.Equal(fromLongs.Result.Distributions, fromInts.Result.Distributions);
    }

    [Fact]
    public void LabelsOutsideTheLabelRangeAreRefusedNamingTheRow()
    {
        var (x, _) = TestData.Blobs(3, 5, 2, 2);
        using var engine = new CpuEngine();
        using var estimator = new LabelSpreading(engine);
        var error = Assert.Throws<InputDataException>(() => estimator.Fit(TestData.ToMatrix(x, Precision.Float64), [0L, -1, 1L << 40, -1, 1]));
        Assert.StartsWith("row 2 (0-based): the label 1099511627776 is outside the label range", error.Message);
        Assert.Throws<InputDataException>(() => estimator.Fit(TestData.ToMatrix(x, Precision.Float64), [0, 1, -1]));
    }

    [Fact]
    public void ProbabilitiesAreRowsByClassesOverTheFlatResult()
    {
        const int n = 47, classes = 3, queries = 9;
        var (x, truth) = TestData.Blobs(21, n + queries, 3, classes);
        var training = TestData.Slice(x, 0, n);
        int[] labels = TestData.PartialLabels(21, truth[..n], classes, 0.2);
        using var engine = new CpuEngine();
        using var estimator = new LabelPropagation(engine) { Gamma = 2, Precision = Precision.Float64 };
        Assert.Throws<InvalidOperationException>(() => estimator.LabelDistributions);
        estimator.Fit(TestData.ToMatrix(training, Precision.Float64), labels);

        var distributions = estimator.LabelDistributions;
        double[] flat = estimator.Result.Distributions;
        Assert.Equal((n, classes), (distributions.Rows, distributions.Columns));
        Assert.Equal(estimator.Classes, distributions.Classes);
        var copy = distributions.ToArray();
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++)
            {
                Assert.Equal(flat[i * classes + c], distributions[i, c]);
                Assert.Equal(flat[i * classes + c], copy[i, c]);
                Assert.Equal(flat[i * classes + c], distributions.Row(i)[c]);
            }
        Assert.Equal(flat, distributions.AsSpan().ToArray());
        Assert.Equal(estimator.Transduction, distributions.MostProbable());
        Assert.Throws<ArgumentOutOfRangeException>(() => distributions[n, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => distributions[0, classes]);
        Assert.Throws<ArgumentOutOfRangeException>(() => distributions[-1, 0]);

        var newRows = TestData.ToMatrix(TestData.Slice(x, n, queries), Precision.Float64);
        var proba = estimator.PredictProba(newRows);
        var expected = Reference.DenseReference.PredictProba(training, estimator.LabelDistributions.ToArray(), TestData.Slice(x, n, queries), estimator.Options);
        Assert.True(TestData.MaxDifference(proba, expected) < 1e-12);
        Assert.Equal(proba.MostProbable(), estimator.Predict(newRows));
        Assert.Equal(new double[0, classes], estimator.PredictProba(TestData.ToMatrix(new double[0, 3], Precision.Float64)).ToArray());
    }

    public static TheoryData<string> Fixtures => new(SklearnFixture.Names());

    /// <summary>scikit-learn's score is the accuracy of its predict on the rows given: scikit-learn's own predictions
    /// (from the fixtures' predict_proba) score 1, and each row relabeled costs 1/m.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ScoreIsTheMeanAccuracyOfScikitLearnsPredictions(string fixtureName)
    {
        var fixture = SklearnFixture.Load(fixtureName);
        using var engine = new CpuEngine();
        using var estimator = new LabelDiffusion(engine, fixture.Options with { Precision = Precision.Float64 });
        estimator.Fit(TestData.ToMatrix(fixture.X, Precision.Float64), fixture.Y);
        var newRows = TestData.ToMatrix(fixture.XNew, Precision.Float64);
        int m = newRows.Rows, c = fixture.Classes.Length;
        // numpy's argmax of scikit-learn's all-NaN row is its first column, as GpuSpread's all-zero row predicts.
        var sklearnPredictions = fixture.PredictProba
            .Select(row => fixture.Classes[row is null ? 0 : Array.IndexOf(row, row.Max())]).ToArray();
        Assert.Equal(1.0, estimator.Score(newRows, sklearnPredictions));

        var relabeled = (long[])sklearnPredictions.Clone();
        int wrong = 0;
        for (int i = 0; i < m; i += 3, wrong++)
            relabeled[i] = fixture.Classes[(Array.IndexOf(fixture.Classes, relabeled[i]) + 1) % c];
        relabeled[m - 1] = LabelEncoding.Unlabeled;
        if ((m - 1) % 3 != 0) wrong++;
        Assert.Equal((double)(m - wrong) / m, estimator.Score(newRows, relabeled));
        Assert.Equal((double)(m - wrong) / m, estimator.Score(newRows, Array.ConvertAll(relabeled, l => (int)l)));

        var error = Assert.Throws<ArgumentException>(() => estimator.Score(newRows, relabeled.AsSpan(1)));
        Assert.Equal("labels", error.ParamName);
    }
}
