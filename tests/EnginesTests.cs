using System.Diagnostics.CodeAnalysis;
using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Tests;

/// <summary>Engines.Auto chooses as --engine auto does and says why; an engine asked for by name never falls back.</summary>
public class EnginesTests
{
    private static readonly GraphInput Features = TestData.ToMatrix(TestData.Blobs(1, 12, 2, 2).X, Precision.Float64);
    private static readonly DiffusionOptions ApproximateKnn = DiffusionOptions.Spreading() with
    {
        Kernel = AffinityKernel.Knn, NNeighbors = 3, KnnSearch = KnnSearchMethod.Approximate,
    };

    [Fact]
    public void AutoTakesAUsableGpuElseTheCpuEngineAndSaysWhy()
    {
        using var engine = Engines.Auto(out string reason, Features);
        if (TestData.GpuAvailability.Usable)
        {
            Assert.Equal("gpu", engine.Description.Name);
            Assert.StartsWith("using the GPU engine on ", reason);
        }
        else
        {
            Assert.IsType<CpuEngine>(engine);
            Assert.Equal($"using the CPU engine ({engine.Description.Device}): no usable GPU ({TestData.GpuAvailability.Reason})", reason);
        }
    }

    [Fact]
    public void AutoTakesTheGpuWhenOneIsUsableAndItsEngineCanRunTheJob()
    {
        using var engine = Engines.Create("auto", out string reason, Features, null, SimulatorAsGpu);
        Assert.Equal("gpu-sim", engine.Description.Name);
        Assert.Equal($"using the GPU engine on {engine.Description.Device}: a GPU is usable and its engine can run this job", reason);

        using var withoutJob = Engines.Create("auto", out reason, null, null, SimulatorAsGpu);
        Assert.Equal($"using the GPU engine on {withoutJob.Description.Device}: a GPU is usable", reason);
    }

    [Fact]
    public void AutoTakesTheCpuEngineForWhatTheGpuEngineCannotRunWithoutOpeningAGpu()
    {
        using var engine = Engines.Create("auto", out string reason, Features, ApproximateKnn, NoGpuToOpen);
        Assert.IsType<CpuEngine>(engine);
        Assert.EndsWith("): the GPU engine cannot run the approximate kNN search (knn_search='approximate', NN-descent)", reason);
    }

    [Fact]
    public void AnEngineAskedForByNameIsThatEngineOrAnError()
    {
        using (var cpu = Engines.Create("cpu", out string reason, Features, ApproximateKnn)) Assert.IsType<CpuEngine>(cpu);
        using (var simulator = Engines.Create("gpu-sim", Features)) Assert.Equal("gpu-sim", simulator.Description.Name);

        var missing = Assert.Throws<GpuUnavailableException>(() => Engines.Create("gpu", out _, Features, null, NoGpu));
        Assert.Equal("no usable GPU (no driver in this test)", missing.Message);
        var cannot = Assert.Throws<EngineCapabilityException>(() => Engines.Create("gpu-sim", Features, ApproximateKnn));
        Assert.StartsWith("the gpu-sim engine cannot run the approximate kNN search", cannot.Message);
        var unknown = Assert.Throws<InvalidParameterException>(() => Engines.Create("tpu"));
        Assert.Equal("The 'engine' parameter must be auto, cpu, gpu, gpu-sim. Got 'tpu' instead. (Parameter 'engine')", unknown.Message);
    }

    private static bool SimulatorAsGpu([NotNullWhen(true)] out IDiffusionEngine? gpu, out string whyNot)
    {
        gpu = GpuEngine.CreateSimulator();
        whyNot = "";
        return true;
    }

    private static bool NoGpu([NotNullWhen(true)] out IDiffusionEngine? gpu, out string whyNot)
    {
        gpu = null;
        whyNot = "no driver in this test";
        return false;
    }

    private static bool NoGpuToOpen([NotNullWhen(true)] out IDiffusionEngine? gpu, out string whyNot) =>
        throw new InvalidOperationException("auto opened a GPU for a job its engine cannot run");
}
