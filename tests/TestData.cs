using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Tests;

/// <summary>Seeded inputs and the engines every parity test runs over.</summary>
public static class TestData
{
    /// <summary>
    /// Engine names the parameterised suites run over: the CPU engine (choosing its rbf weight layout itself), the CPU
    /// engine with its symmetric store of rbf weights forced, the GPU kernels on ILGPU's CPU simulator, and a real GPU
    /// when one is usable (otherwise tests/Gpu/RealGpuTests.cs reports its cases as skipped).
    /// </summary>
    public static IReadOnlyList<string> EngineNames { get; } =
        GpuAvailability.Usable ? ["cpu", "cpu-symmetric", "gpu-sim", "gpu"] : ["cpu", "cpu-symmetric", "gpu-sim"];

    public static TheoryData<string> Engines => new(EngineNames);

    public static IDiffusionEngine CreateEngine(string name) => name switch
    {
        "cpu" => new CpuEngine(),
        "cpu-symmetric" => new CpuEngine(RbfWeightLayout.Symmetric),
        "gpu-sim" => GpuEngine.CreateSimulator(),
        "gpu" => GpuEngine.Create(),
        _ => throw new ArgumentException($"unknown engine {name}", nameof(name)),
    };

    /// <summary>Whether a real GPU (CUDA, then OpenCL) is usable here, and why not; probed once per test run.</summary>
    public static class GpuAvailability
    {
        private static readonly Lazy<(bool Usable, string Reason)> Probe = new(() =>
        {
            if (!GpuEngine.TryCreate(out var engine, out string reason)) return (false, reason);
            engine.Dispose();
            return (true, "");
        });

        public static bool Usable => Probe.Value.Usable;

        /// <summary>Why no GPU is usable (empty when one is).</summary>
        public static string Reason => Probe.Value.Reason;
    }

    /// <summary>Gaussian blobs around <paramref name="classes"/> centres in [-1, 1]^d, spread sigma.</summary>
    public static (double[,] X, int[] Truth) Blobs(int seed, int n, int d, int classes, double sigma = 0.3)
    {
        var random = new Random(seed);
        var centres = new double[classes, d];
        for (int c = 0; c < classes; c++)
            for (int f = 0; f < d; f++) centres[c, f] = random.NextDouble() * 2 - 1;
        var x = new double[n, d];
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            truth[i] = random.Next(classes);
            for (int f = 0; f < d; f++) x[i, f] = centres[truth[i], f] + sigma * Gaussian(random);
        }
        return (x, truth);
    }

    /// <summary>Class indices with every class labeled at least once and about <paramref name="fraction"/> labeled.</summary>
    public static int[] PartialLabels(int seed, int[] truth, int classes, double fraction)
    {
        var random = new Random(seed + 7919);
        var labels = truth.Select(t => random.NextDouble() < fraction ? t : -1).ToArray();
        for (int c = 0; c < classes; c++)
        {
            int first = Array.IndexOf(truth, c);
            if (first >= 0) labels[first] = c;
        }
        return labels;
    }

    public static double Gaussian(Random random)
    {
        double u = 1 - random.NextDouble(), v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    public static FeatureMatrix ToMatrix(double[,] x, Precision precision)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var values = new double[n * d];
        Buffer.BlockCopy(x, 0, values, 0, values.Length * sizeof(double));
        return precision == Precision.Float64
            ? FeatureMatrix.FromDouble(values, n, d)
            : FeatureMatrix.FromSingle(values.Select(v => (float)v).ToArray(), n, d);
    }

    /// <summary>The float32-rounded copy of x, so a float64 oracle sees the same inputs as a float32 engine.</summary>
    public static double[,] Rounded(double[,] x, Precision precision)
    {
        if (precision == Precision.Float64) return x;
        var result = new double[x.GetLength(0), x.GetLength(1)];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int f = 0; f < x.GetLength(1); f++) result[i, f] = (float)x[i, f];
        return result;
    }

    public static DiffusionResult Fit(IDiffusionEngine engine, double[,] x, int[] labels, int classes, DiffusionOptions options)
    {
        using var graph = engine.BuildGraph(ToMatrix(x, options.Precision), options);
        return engine.Diffuse(graph, labels, classes, options);
    }

    /// <summary>Rows [first, first + count) of <paramref name="x"/>.</summary>
    public static double[,] Slice(double[,] x, int first, int count)
    {
        var result = new double[count, x.GetLength(1)];
        for (int i = 0; i < count; i++)
            for (int f = 0; f < x.GetLength(1); f++) result[i, f] = x[first + i, f];
        return result;
    }

    /// <summary>Largest absolute difference between an engine's n x c result and a reference.</summary>
    /// <summary>The largest |difference| of two n x c matrices, after checking that their shapes agree.</summary>
    public static double MaxDifference(ClassProbabilities actual, double[,] expected)
    {
        Assert.Equal((expected.GetLength(0), expected.GetLength(1)), (actual.Rows, actual.Columns));
        double max = 0;
        for (int i = 0; i < actual.Rows; i++)
            for (int c = 0; c < actual.Columns; c++)
                max = Math.Max(max, Math.Abs(actual[i, c] - expected[i, c]));
        return max;
    }

    public static double MaxDifference(double[] actual, double[,] expected)
    {
        double max = 0;
        int classes = expected.GetLength(1);
        for (int i = 0; i < expected.GetLength(0); i++)
            for (int c = 0; c < classes; c++)
                max = Math.Max(max, Math.Abs(actual[i * classes + c] - expected[i, c]));
        return max;
    }
}
