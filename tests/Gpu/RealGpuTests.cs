using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;
using GpuSpread.Tests.Fixtures;

namespace GpuSpread.Tests.Gpu;

/// <summary>
/// On a machine with a CUDA or OpenCL GPU, the "gpu" engine joins every parameterised suite (TestData.EngineNames);
/// these cases add the checks that only make sense there: the GPU against the simulator and the CPU engine on
/// every fixture, and the timed pass. Without a GPU they are reported as skipped, with the reason.
/// </summary>
public class RealGpuTests(ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures() => new(SklearnFixture.Names());

    [RequiresGpuTheory]
    [MemberData(nameof(Fixtures))]
    public void GpuMatchesTheSimulatorAndTheCpuEngine(string fixtureName)
    {
        var fixture = SklearnFixture.Load(fixtureName);
        var options = fixture.Options;
        var (classes, classIndex) = LabelEncoding.Encode(fixture.Y, fixture.Y.Length);
        var x = TestData.ToMatrix(fixture.X, Precision.Float32);
        using var gpu = GpuEngine.Create();
        using var simulator = GpuEngine.CreateSimulator();
        using var cpu = new CpuEngine();
        var results = new[] { (IDiffusionEngine)gpu, simulator, cpu }.Select(engine =>
        {
            using var graph = engine.BuildGraph(x, options);
            return engine.Diffuse(graph, classIndex, classes.Length, options);
        }).ToArray();
        double toSimulator = results[0].Distributions.Zip(results[1].Distributions, (a, b) => Math.Abs(a - b)).Max();
        double toCpu = results[0].Distributions.Zip(results[2].Distributions, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{fixtureName} on {gpu.Description.Device}: max |gpu - gpu-sim| {toSimulator:E2}, |gpu - cpu| {toCpu:E2}");
        // ptxas may contract the float64 state's products into FMAs, which the simulator does not: last-bit differences.
        Assert.True(toSimulator < 1e-6, $"{fixtureName}: the GPU and the simulator differ by {toSimulator:E3}");
        Assert.True(toCpu < 1e-4, $"{fixtureName}: the GPU and the CPU engine differ by {toCpu:E3}");
        Assert.Equal(results[2].NIter, results[0].NIter);
    }

    [RequiresGpuFact]
    public void TheIterationRunsAtASensibleRate()
    {
        using var gpu = GpuEngine.Create();
        var timing = GpuSpread.Runner.IterationBenchmark.Measure(gpu, GpuSpread.Runner.IterationBenchmark.Features(20_000, 64), 10, 3);
        output.WriteLine(timing.ToString());
        Assert.True(timing.GigaflopsPerSecond > 100, timing.ToString());
    }
}
