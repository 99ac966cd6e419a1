using System.Globalization;
using GpuSpread.Engine.Gpu.Kernels;

namespace GpuSpread.Engine.Gpu;

/// <summary>One timed rbf pass (an iteration's operator application) and what it did.</summary>
/// <param name="Rows">n.</param>
/// <param name="Dims">d.</param>
/// <param name="Classes">c.</param>
/// <param name="Seconds">Seconds per pass (mean of the timed repeats, after a warm-up).</param>
/// <param name="Flops">The model's useful flops per pass: n^2 (2d + 2c + 10) (DESIGN.md).</param>
/// <param name="Bytes">The model's device-memory bytes per pass (bench/GPU.md): column tiles re-read by every row group, the sums' per-tile read-modify-writes.</param>
/// <param name="Device">The device in words.</param>
public sealed record PassTiming(int Rows, int Dims, int Classes, double Seconds, double Flops, double Bytes, string Device)
{
    public double GigaflopsPerSecond => Flops / Seconds / 1e9;
    public double GigabytesPerSecond => Bytes / Seconds / 1e9;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"rbf pass n={Rows} d={Dims} c={Classes}: {Seconds * 1e3:F2} ms, {GigaflopsPerSecond:F1} GFLOP/s, {GigabytesPerSecond:F1} GB/s (model: {Flops:E3} flop, {Bytes:E3} B) on {Device}");
}

/// <summary>Times the rbf pass on synthetic data, for comparing with the roofline figures of bench/GPU.md.</summary>
public static class PassBenchmark
{
    /// <summary>
    /// Builds a float32 rbf spreading graph of <paramref name="rows"/> Gaussian rows (10 clusters) on
    /// <paramref name="engine"/> and times <paramref name="repeats"/> applications of its operator to a random F.
    /// </summary>
    public static PassTiming Measure(GpuEngine engine, int rows, int dims, int classes, int repeats)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(dims, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        var random = new Random(0);
        var centres = new float[10 * dims];
        for (int e = 0; e < centres.Length; e++) centres[e] = (float)(random.NextDouble() - 0.5);
        var x = new float[(long)rows * dims];
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < dims; k++)
                x[(long)i * dims + k] = centres[(i % 10) * dims + k] + 0.1f * (float)(random.NextDouble() - 0.5);
        var options = DiffusionOptions.Spreading() with { Gamma = 1.0 / dims };
        using var graph = (GpuGraph<float, SingleReal>)engine.BuildGraph(FeatureMatrix.FromSingle(x, rows, dims), options);
        double seconds = graph.TimeApplies(classes, Math.Max(1, repeats));
        double n = rows;
        double flops = n * n * (2.0 * dims + 2.0 * classes + 10);
        var shape = graph.Shape;
        double groups = Math.Ceiling(n / shape.Rows), tiles = Math.Ceiling(n / shape.Columns);
        double bytes = groups * n * (dims + classes + 3) * sizeof(float) + groups * tiles * shape.Rows * classes * 2.0 * sizeof(double);
        return new PassTiming(rows, dims, classes, seconds, flops, bytes, engine.Description.Device);
    }
}
