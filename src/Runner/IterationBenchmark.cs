using System.Diagnostics;
using System.Globalization;

namespace GpuSpread.Runner;

/// <summary>One timed iteration of rbf spreading (the operator's pass, the update and the convergence test) and its flops.</summary>
/// <param name="Seconds">Seconds per iteration: the difference between fits of 1 and 1 + repeats iterations on the same graph,
/// divided by the repeats (so the set-up and the final read-back are left out).</param>
/// <param name="Flops">The performance model's useful flops per iteration: n^2 (2d + 2c + 10).</param>
public sealed record IterationTiming(int Rows, int Dims, int Classes, double Seconds, double Flops, EngineDescription Engine)
{
    public double GigaflopsPerSecond => Flops / Seconds / 1e9;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"rbf iteration n={Rows} d={Dims} c={Classes}: {Seconds * 1e3:F2} ms, {GigaflopsPerSecond:F1} GFLOP/s (model: {Flops:E3} flop) on {Engine.Name} ({Engine.Device})");
}

/// <summary>Times rbf spreading's iteration on synthetic data through the engine contract, for the roofline figures of bench/GPU.md.</summary>
public static class IterationBenchmark
{
    /// <summary><paramref name="rows"/> float32 rows of <paramref name="dims"/> features around 10 cluster centres.</summary>
    public static FeatureMatrix Features(int rows, int dims)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(dims, 1);
        var random = new Random(0);
        var centres = new float[10 * dims];
        for (int e = 0; e < centres.Length; e++) centres[e] = (float)(random.NextDouble() - 0.5);
        var x = new float[(long)rows * dims];
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < dims; k++)
                x[(long)i * dims + k] = centres[(i % 10) * dims + k] + 0.1f * (float)(random.NextDouble() - 0.5);
        return FeatureMatrix.FromSingle(x, rows, dims);
    }

    /// <summary>Spreading with gamma 1/d and tol 0 (so that no fit stops early).</summary>
    public static DiffusionOptions Options(int dims) => DiffusionOptions.Spreading() with { Gamma = 1.0 / dims, Tol = 0 };

    /// <summary>
    /// Builds the rbf spreading graph of <paramref name="features"/> on <paramref name="engine"/>, then times fits of 1 and
    /// of 1 + <paramref name="repeats"/> iterations after a warm-up.
    /// </summary>
    public static IterationTiming Measure(IDiffusionEngine engine, FeatureMatrix features, int classes, int repeats)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        int rows = features.Rows, dims = features.Cols;
        var classIndex = new int[rows];
        for (int i = 0; i < rows; i++) classIndex[i] = i < classes ? i : -1;
        var options = Options(dims);
        using var graph = engine.BuildGraph(features, options);
        double Fit(int iterations)
        {
            var clock = Stopwatch.StartNew();
            engine.Diffuse(graph, classIndex, classes, options with { MaxIter = iterations });
            return clock.Elapsed.TotalSeconds;
        }
        Fit(1);
        double one = Fit(1), many = Fit(1 + repeats);
        double seconds = Math.Max(many - one, 0) / repeats;
        return new IterationTiming(rows, dims, classes, seconds, (double)rows * rows * (2.0 * dims + 2.0 * classes + 10), engine.Description);
    }
}
