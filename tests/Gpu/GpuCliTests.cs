using System.Globalization;
using System.Text.Json;
using GpuSpread.IO;
using GpuSpread.Runner;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Gpu;

/// <summary>
/// The command line with the GPU engines, in-process: <c>gpuspread spread --engine gpu-sim</c> gives the CPU
/// engine's results, <c>--engine gpu</c> fails clearly without a GPU, <c>auto</c> says what it chose and why,
/// <c>gpuspread devices</c> lists what ILGPU sees.
/// </summary>
public sealed class GpuCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-gpu-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Three blobs in 5 dimensions, labels 10/20/30 on a few rows.</summary>
    private (string Data, string Labels) WriteBlobs(int n = 83)
    {
        var (x, truth) = TestData.Blobs(41, n, 5, 3, sigma: 0.4);
        var labels = TestData.PartialLabels(41, truth, 3, 0.1);
        var values = new float[n * 5];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < 5; f++) values[i * 5 + f] = (float)x[i, f];
        NpyWriter.Write(PathOf("X.npy"), values, n, 5);
        File.WriteAllLines(PathOf("y.csv"), labels.Select(l => l < 0 ? "-1" : (10 * (l + 1)).ToString(CultureInfo.InvariantCulture)));
        return (PathOf("X.npy"), PathOf("y.csv"));
    }

    [Theory]
    [InlineData("spreading", "rbf")]
    [InlineData("propagation", "rbf")]
    [InlineData("spreading", "knn")]
    [InlineData("propagation", "knn")]
    public void GpuSimGivesTheCpuEnginesResults(string model, string kernel)
    {
        var (data, labels) = WriteBlobs();
        var runs = new Dictionary<string, (string[] Predictions, double[][] Distributions, JsonElement Summary)>();
        foreach (string engine in new[] { "cpu", "gpu-sim" })
        {
            string outDir = PathOf($"out-{engine}");
            var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", outDir, "--model", model, "--kernel", kernel,
                "--gamma", "3", "--n-neighbors", "6", "--engine", engine);
            output.WriteLine(stderr);
            Assert.True(code == ExitCodes.Success, stderr);
            var distributions = File.ReadAllLines(Path.Combine(outDir, "distributions.csv")).Skip(1)
                .Select(line => line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
            runs[engine] = (File.ReadAllLines(Path.Combine(outDir, "predictions.csv")), distributions, summary.RootElement.Clone());
        }
        var (cpu, gpu) = (runs["cpu"], runs["gpu-sim"]);
        Assert.Equal("gpu-sim", gpu.Summary.GetProperty("engine").GetString());
        Assert.Contains("simulator", gpu.Summary.GetProperty("device").GetString());
        Assert.Equal(cpu.Summary.GetProperty("n_iter").GetInt32(), gpu.Summary.GetProperty("n_iter").GetInt32());
        Assert.Equal(cpu.Predictions, gpu.Predictions);
        double difference = cpu.Distributions.Zip(gpu.Distributions, (a, b) => a.Zip(b, (u, v) => Math.Abs(u - v)).Max()).Max();
        Assert.True(difference < 1e-4, $"distributions.csv differ by {difference:E3}");
    }

    [RequiresNoGpuTheory]
    [InlineData("gpu")]
    public void GpuWithoutAGpuFailsWithExitCodeOne(string engine)
    {
        var (data, labels) = WriteBlobs();
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--engine", engine);
        output.WriteLine(stderr);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains("--engine gpu: no usable GPU", stderr);
        Assert.Contains("gpu-sim", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(Path.Combine(PathOf("out"), "predictions.csv")));
    }

    [Fact]
    public void AutoSaysWhichEngineItChoseAndWhy()
    {
        var (data, labels) = WriteBlobs();
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--gamma", "3");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains(TestData.GpuAvailability.Usable ? "engine auto: using the GPU engine on" : "engine auto: using the CPU engine", stderr);
        if (!TestData.GpuAvailability.Usable) Assert.Contains("no usable GPU (", stderr);
    }

    [Fact]
    public void DevicesListsWhatIlgpuSees()
    {
        var (code, stdout, stderr) = Run("devices");
        output.WriteLine(stdout);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Empty(stderr);
        Assert.Contains("ILGPU sees", stdout);
        Assert.Contains("CPUAccelerator | CPU", stdout);
        Assert.Contains("warp", stdout);
        Assert.Contains("max group", stdout);
        Assert.Contains(TestData.GpuAvailability.Usable ? "--engine gpu and auto use:" : "--engine gpu: no usable GPU", stdout);
    }

    [Fact]
    public void DevicesBenchmarkTimesThePassOnTheSimulator()
    {
        var (code, stdout, stderr) = Run("devices", "--benchmark", "--engine", "gpu-sim", "--rows", "300", "--dims", "8", "--classes", "3", "--repeats", "1");
        output.WriteLine(stdout + stderr);
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("GFLOP/s", stdout);
        Assert.Contains("n=300 d=8 c=3", stdout);
    }
}
