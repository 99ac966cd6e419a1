using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;
using GpuSpread.Engine.Gpu.Kernels;

namespace GpuSpread.Tests.Gpu;

/// <summary>The engine's contract beyond its numbers: selection, description, kernels loaded once, lifetimes, refusals.</summary>
public class GpuEngineTests(ITestOutputHelper output)
{
    [Fact]
    public void TheSimulatorSaysWhatItIs()
    {
        using var engine = GpuEngine.CreateSimulator();
        output.WriteLine(engine.Description.Device);
        Assert.Equal("gpu-sim", engine.Description.Name);
        Assert.Contains("ILGPU CPU accelerator (simulator)", engine.Description.Device);
    }

    [RequiresNoGpuTheory]
    [InlineData(0)]
    public void WithoutAGpuTheFactorySaysWhyNot(int unused)
    {
        _ = unused;
        Assert.False(GpuEngine.TryCreate(out var engine, out string reason));
        Assert.Null(engine);
        output.WriteLine(reason);
        Assert.Contains("CUDA", reason);
        var error = Assert.Throws<GpuUnavailableException>(() => GpuEngine.Create());
        Assert.Equal(reason, error.Message);
    }

    [Fact]
    public void KernelsAreLoadedOncePerEngineAndPrecision()
    {
        using var engine = GpuEngine.CreateSimulator();
        var (x, truth) = TestData.Blobs(3, 30, 4, 2);
        var labels = TestData.PartialLabels(3, truth, 2, 0.2);
        var options = DiffusionOptions.Spreading() with { Gamma = 2 };
        TestData.Fit(engine, x, labels, 2, options);
        var single = engine.Kernels<float, SingleReal>();
        var state = engine.State;
        TestData.Fit(engine, x, labels, 2, options with { Kernel = AffinityKernel.Knn, NNeighbors = 4 });
        Assert.Same(single, engine.Kernels<float, SingleReal>());
        Assert.Same(state, engine.State);
    }

    [Fact]
    public void DisposingTheEngineFreesTheGraphsItStillHolds()
    {
        var engine = GpuEngine.CreateSimulator();
        var (x, _) = TestData.Blobs(4, 25, 3, 2);
        var graph = engine.BuildGraph(TestData.ToMatrix(x, Precision.Float32), DiffusionOptions.Spreading() with { Gamma = 2 });
        Assert.True(engine.Memory.LiveBytes > 0);
        engine.Dispose();
        Assert.Equal(0, engine.Memory.LiveBytes);
        graph.Dispose(); // a second release is harmless
        Assert.Throws<ObjectDisposedException>(() => engine.BuildGraph(TestData.ToMatrix(x, Precision.Float32), DiffusionOptions.Spreading()));
    }

    [Fact]
    public void GraphsOfOtherEnginesAreRefused()
    {
        using var engine = GpuEngine.CreateSimulator();
        using var other = GpuEngine.CreateSimulator();
        using var cpu = new CpuEngine();
        var (x, truth) = TestData.Blobs(6, 20, 3, 2);
        var labels = TestData.PartialLabels(6, truth, 2, 0.3);
        var options = DiffusionOptions.Spreading() with { Gamma = 2 };
        using var otherGraph = other.BuildGraph(TestData.ToMatrix(x, Precision.Float32), options);
        using var cpuGraph = cpu.BuildGraph(TestData.ToMatrix(x, Precision.Float32), options);
        Assert.Throws<ArgumentException>(() => engine.Diffuse(otherGraph, labels, 2, options));
        Assert.Throws<ArgumentException>(() => engine.Diffuse(cpuGraph, labels, 2, options));
        using var graph = engine.BuildGraph(TestData.ToMatrix(x, Precision.Float32), options);
        Assert.Throws<ArgumentException>(() => cpu.Diffuse(graph, labels, 2, options));
    }

    [Fact]
    public void AWarmStartGivesTheCpuEnginesAnswer()
    {
        var (x, truth) = TestData.Blobs(8, 57, 4, 3);
        var labels = TestData.PartialLabels(8, truth, 3, 0.15);
        var options = DiffusionOptions.Spreading() with { Gamma = 1.5, Alpha = 0.5 };
        var start = Enumerable.Range(0, 57 * 3).Select(e => e % 3 == 0 ? 0.5 : e % 7 == 0 ? 0.25 : 0.0).ToArray();
        using var gpu = GpuEngine.CreateSimulator();
        using var cpu = new CpuEngine();
        using var gpuGraph = gpu.BuildGraph(TestData.ToMatrix(x, Precision.Float32), options);
        using var cpuGraph = cpu.BuildGraph(TestData.ToMatrix(x, Precision.Float32), options);
        var warm = gpu.Diffuse(gpuGraph, labels, 3, options, start: start);
        var expected = cpu.Diffuse(cpuGraph, labels, 3, options, start: start);
        Assert.Equal(expected.NIter, warm.NIter);
        Assert.True(warm.Distributions.Zip(expected.Distributions, (a, b) => Math.Abs(a - b)).Max() < 1e-5);
    }

    /// <summary>Forced small, odd tiles (launches of 3, 5, 7 rows; column segments of 17 and 33) on groups of 4 threads give the default tiles' answer.</summary>
    [Theory]
    [InlineData(DiffusionModel.Spreading, AffinityKernel.Rbf)]
    [InlineData(DiffusionModel.Propagation, AffinityKernel.Rbf)]
    [InlineData(DiffusionModel.Spreading, AffinityKernel.Knn)]
    public void ForcedTilesDoNotChangeTheAnswer(DiffusionModel model, AffinityKernel kernel)
    {
        const int n = 47, classes = 3;
        var (x, truth) = TestData.Blobs(13, n, 5, classes);
        var labels = TestData.PartialLabels(13, truth, classes, 0.2);
        var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = kernel, Gamma = 2, NNeighbors = 5, MaxIter = 100,
        };
        using var engine = GpuEngine.CreateSimulator(threadsPerGroup: 4);
        var reference = TestData.Fit(engine, x, labels, classes, options);
        foreach (var (rows, columns) in new[] { (3, 17), (5, 33), (7, 17) })
        {
            var tiled = TestData.Fit(engine, x, labels, classes, options with { RowTile = rows, ColumnTile = columns });
            double max = tiled.Distributions.Zip(reference.Distributions, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(max < 1e-6, $"tiles {rows} x {columns}: results differ by {max:E3}");
            Assert.Equal(reference.NIter, tiled.NIter);
        }
    }
}
