using GpuSpread.Engine.Gpu;

namespace GpuSpread.Tests.Gpu;

/// <summary>
/// Nothing on the device grows with n^2. Every device allocation of the engine goes through DeviceMemory, which
/// counts the bytes allocated in a fit (graph, diffusion and prediction) and the largest single buffer; both must
/// stay below a bound linear in n (per row: the features and packed rows, F's two states, G in T, the knn lists
/// and candidate scratch), and doubling n must not much more than double them. The halving of tiles on device
/// out-of-memory is checked here too.
/// </summary>
public class DeviceMemoryTests(ITestOutputHelper output)
{
    private const int Dims = 6, Classes = 3, Neighbours = 5, NewRows = 7;

    /// <summary>Bytes per row any fit may take (see the summary), with room to spare, plus a constant.</summary>
    private static long LinearBound(int n) => 64 * 1024 + (long)n * (16 * Dims + 48 * Classes + 28 * (Neighbours + 4) + 128);

    public static TheoryData<DiffusionModel, AffinityKernel> Cases() => new()
    {
        { DiffusionModel.Spreading, AffinityKernel.Rbf },
        { DiffusionModel.Propagation, AffinityKernel.Rbf },
        { DiffusionModel.Spreading, AffinityKernel.Knn },
        { DiffusionModel.Propagation, AffinityKernel.Knn },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DeviceBytesGrowLinearlyWithRows(DiffusionModel model, AffinityKernel kernel)
    {
        using var engine = GpuEngine.CreateSimulator();
        var totals = new List<(int N, long Total, long Peak, long Largest)>();
        foreach (int n in new[] { 150, 300, 600 })
        {
            var (all, truth) = TestData.Blobs(n, n + NewRows, Dims, Classes);
            var x = new double[n, Dims];
            var xNew = new double[NewRows, Dims];
            for (int i = 0; i < n + NewRows; i++)
                for (int f = 0; f < Dims; f++)
                    if (i < n) x[i, f] = all[i, f];
                    else xNew[i - n, f] = all[i, f];
            var labels = TestData.PartialLabels(n, truth[..n], Classes, 0.1);
            var options = (model == DiffusionModel.Spreading ? DiffusionOptions.Spreading() : DiffusionOptions.Propagation()) with
            {
                Kernel = kernel, Gamma = 2, NNeighbors = Neighbours, MaxIter = 3,
            };
            engine.Memory.ResetCounters();
            using (var graph = engine.BuildGraph(TestData.ToMatrix(x, Precision.Float32), options))
            {
                var fitted = engine.Diffuse(graph, labels, Classes, options);
                engine.PredictProba(graph, fitted, TestData.ToMatrix(xNew, Precision.Float32));
            }
            Assert.Equal(0, engine.Memory.LiveBytes);
            totals.Add((n, engine.Memory.TotalAllocatedBytes, engine.Memory.PeakLiveBytes, engine.Memory.LargestBufferBytes));
            output.WriteLine($"n={n}: {engine.Memory.TotalAllocatedBytes} bytes allocated, peak {engine.Memory.PeakLiveBytes}, largest buffer {engine.Memory.LargestBufferBytes}; linear bound {LinearBound(n)}; n^2 floats {4L * n * n}");
        }
        foreach (var (n, total, peak, largest) in totals)
        {
            Assert.True(total <= LinearBound(n), $"n={n}: {total} bytes allocated, above the linear bound {LinearBound(n)}");
            Assert.True(largest <= (long)n * 16 * Math.Max(Dims, Neighbours + 4), $"n={n}: a buffer of {largest} bytes");
            Assert.True(peak <= total);
        }
        for (int s = 1; s < totals.Count; s++)
            Assert.True(totals[s].Total <= 2.2 * totals[s - 1].Total,
                $"doubling n from {totals[s - 1].N} took the allocated bytes from {totals[s - 1].Total} to {totals[s].Total}");
    }

    [Fact]
    public void TheKnnSearchHalvesItsBlocksWhenTheDeviceIsFull()
    {
        const int n = 90;
        var (x, truth) = TestData.Blobs(3, n, Dims, Classes);
        var labels = TestData.PartialLabels(3, truth, Classes, 0.2);
        var options = DiffusionOptions.Spreading() with { Kernel = AffinityKernel.Knn, NNeighbors = Neighbours };
        using var engine = GpuEngine.CreateSimulator();
        var reference = TestData.Fit(engine, x, labels, Classes, options);

        // Room for the graph but not for the candidate scratch of all 90 rows at once (90 x 9 x 20 bytes).
        engine.Memory.ResetCounters();
        long graphBytes = (long)n * (8 * Dims + 4 * Dims + 4) + (long)n * Neighbours * 4 + 4096;
        engine.Memory.SimulatedCapacityBytes = graphBytes + 6000;
        using var graph = engine.BuildGraph(TestData.ToMatrix(x, Precision.Float32), options);
        engine.Memory.SimulatedCapacityBytes = null;
        var halved = engine.Diffuse(graph, labels, Classes, options);
        Assert.Equal(reference.Distributions, halved.Distributions);
        Assert.Equal(reference.NIter, halved.NIter);
    }

    [Fact]
    public void AGraphThatCannotFitFailsWithAClearMessage()
    {
        var (x, truth) = TestData.Blobs(5, 40, Dims, Classes);
        using var engine = GpuEngine.CreateSimulator();
        engine.Memory.SimulatedCapacityBytes = 512;
        var error = Assert.Throws<GpuOutOfMemoryException>(() => engine.BuildGraph(TestData.ToMatrix(x, Precision.Float32), DiffusionOptions.Spreading()));
        output.WriteLine(error.Message);
        Assert.Contains("--engine cpu", error.Message);
        Assert.Equal(0, engine.Memory.LiveBytes);
    }

    [Fact]
    public void HalvingStopsAtOneRowWithAClearMessage()
    {
        var attempts = new List<int>();
        var error = Assert.Throws<GpuOutOfMemoryException>(() => TilePlan.WithHalving<int>(13, rows =>
        {
            attempts.Add(rows);
            throw new DeviceOutOfMemoryException(rows * 100L, 0, "a test", null);
        }, "a test buffer"));
        Assert.Equal([13, 6, 3, 1], attempts);
        Assert.Contains("a test buffer", error.Message);
        Assert.Equal(6, TilePlan.WithHalving(13, rows => rows <= 6 ? rows : throw new DeviceOutOfMemoryException(1, 0, "a test", null), "x"));
    }
}
