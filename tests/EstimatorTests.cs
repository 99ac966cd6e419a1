using GpuSpread.Engine.Cpu;

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
        Assert.Equal(fresh.LabelDistributions, estimator.LabelDistributions);
        Assert.Equal(fresh.Transduction, estimator.Transduction);
        Assert.Equal(fresh.NIter, estimator.NIter);
    }
}
