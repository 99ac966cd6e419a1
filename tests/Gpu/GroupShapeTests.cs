using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Tests.Gpu;

/// <summary>
/// The parameterised suites run the simulator with one thread per group (each group thread of ILGPU's CPU
/// accelerator is an OS thread and each barrier a rendezvous of them: too slow for the whole suite). Here the
/// kernels run in groups of several threads, as on a GPU: square (16 threads, 16 x 16 tiles), non-square
/// (8 threads, 16 rows x 8 columns) and two threads, so that the cooperative loads, the barriers and the
/// shared-memory reductions are exercised, on odd sizes and forced tile remainders; the results must match
/// the CPU engine.
/// </summary>
public class GroupShapeTests(ITestOutputHelper output)
{
    public static TheoryData<int, DiffusionModel, AffinityKernel, Precision> Cases()
    {
        var data = new TheoryData<int, DiffusionModel, AffinityKernel, Precision>();
        foreach (int threads in new[] { 2, 8, 16 })
            foreach (var model in new[] { DiffusionModel.Spreading, DiffusionModel.Propagation })
                foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
                    data.Add(threads, model, kernel, threads == 8 ? Precision.Float64 : Precision.Float32);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MultiThreadedGroupsMatchTheCpuEngine(int threads, DiffusionModel model, AffinityKernel kernel, Precision precision)
    {
        const int seed = 97, n = 61, d = 19, classes = 3;
        var (all, truth) = TestData.Blobs(seed, n + 5, d, classes, sigma: 0.5);
        var x = new double[n, d];
        var xNew = new double[5, d];
        for (int i = 0; i < n + 5; i++)
            for (int f = 0; f < d; f++)
                if (i < n) x[i, f] = all[i, f];
                else xNew[i - n, f] = all[i, f];
        var labels = TestData.PartialLabels(seed, truth[..n], classes, 0.2);
        var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
        {
            Kernel = kernel, Gamma = 0.3, NNeighbors = 6, Precision = precision, MaxIter = 200,
            // A launch of 23 rows (a partial row tile) and column segments of 37 (a partial column tile in each).
            RowTile = 23, ColumnTile = 37,
        };
        using var gpu = GpuEngine.CreateSimulator(threads);
        using var cpu = new CpuEngine();
        using var gpuGraph = gpu.BuildGraph(TestData.ToMatrix(x, precision), options);
        using var cpuGraph = cpu.BuildGraph(TestData.ToMatrix(x, precision), options);
        var gpuResult = gpu.Diffuse(gpuGraph, labels, classes, options);
        var cpuResult = cpu.Diffuse(cpuGraph, labels, classes, options);
        var gpuProba = gpu.PredictProba(gpuGraph, gpuResult, TestData.ToMatrix(xNew, precision));
        var cpuProba = cpu.PredictProba(cpuGraph, cpuResult, TestData.ToMatrix(xNew, precision));

        double tolerance = precision == Precision.Float64 ? 1e-9 : 1e-5;
        double difference = gpuResult.Distributions.Zip(cpuResult.Distributions, (a, b) => Math.Abs(a - b)).Max();
        double probaDifference = gpuProba.Zip(cpuProba, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{gpu.Description.Device}: max |difference| {difference:E3}, predict_proba {probaDifference:E3}, n_iter {gpuResult.NIter} (cpu {cpuResult.NIter})");
        Assert.True(difference < tolerance, $"groups of {threads}: distributions differ from the CPU engine's by {difference:E3}");
        Assert.True(probaDifference < tolerance, $"groups of {threads}: predict_proba differs by {probaDifference:E3}");
        Assert.Equal(cpuResult.NIter, gpuResult.NIter);
    }
}
