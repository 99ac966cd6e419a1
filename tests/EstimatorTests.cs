using GpuSpread.Engine.Cpu;

namespace GpuSpread.Tests;

/// <summary>The estimators carry every option of <see cref="DiffusionOptions"/> there and back.</summary>
public class EstimatorTests
{
    [Theory]
    [InlineData(DiffusionModel.Spreading)]
    [InlineData(DiffusionModel.Propagation)]
    public void CreateKeepsEveryOption(DiffusionModel model)
    {
        var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() with { Alpha = 0.37 } : DiffusionOptions.Propagation()) with
        {
            Kernel = AffinityKernel.Knn, Gamma = 3.5, NNeighbors = 11, MaxIter = 77, Tol = 1e-5, Precision = Precision.Float64,
            MemoryLimitBytes = 1L << 30, Float64UnderflowCut = false, Solver = Solver.ConjugateGradient,
            KnnGraph = KnnGraphKind.Mutual, KnnSelfLoops = KnnSelfLoops.Drop, KnnWeights = KnnWeights.Rbf,
        };
        using var estimator = LabelDiffusion.Create(new CpuEngine(), options);
        Assert.Equal(options, estimator.Options);
    }
}
