using System.Diagnostics;
using GpuSpread.Engine.Cpu;

namespace GpuSpread.Benchmarks;

/// <summary>
/// The distance micro-kernel alone over all pairs of n rows (2 n^2 d flops), on every core, as the rbf pass
/// and the knn search call it (4 rows x 2 panels per step, in the CPU's widest native vectors; 64-column tiles): the figure to compare with
/// the machine's float32 matrix-product ceiling. Where the CPU has AVX-VNNI, the exact integer kernel too, on bytes.
/// </summary>
internal static class KernelCeiling
{
    public static int Run(string[] args)
    {
        int n = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 8192;
        int repeats = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20;
        var (features, _) = Data.Synthetic(n);
        var packed = new PackedRows<float>(features, new double[Data.Dims]);
        double flops = 2.0 * n * n * Data.Dims;
        double best = Best(packed, n, repeats);
        Console.WriteLine($"micro-kernel, Vector{packed.Lanes * 32} panels: n = {n}, d = {Data.Dims}, best of {repeats}: {best:F3} s, {flops / best / 1e9:F1} GFLOP/s");
        // Once per bench/kernel_ceiling.sh: not in its second run, which only narrows the float kernel's vectors.
        if (IntegerRows.Supported && Environment.GetEnvironmentVariable("DOTNET_PreferredVectorBitWidth") is null)
        {
            // The same rows as bytes: the exact integer kernel, two operations (multiply, add) per byte pair.
            var random = new Random(0);
            var bytes = new float[(long)n * Data.Dims];
            for (long k = 0; k < bytes.Length; k++) bytes[k] = random.Next(256);
            var integer = new PackedRows<float>(FeatureMatrix.FromSingle(bytes, n, Data.Dims), new double[Data.Dims], integerKernel: true);
            best = Best(integer, n, repeats);
            Console.WriteLine($"integer micro-kernel (AVX-VNNI, 256-bit vpdpbusd): n = {n}, d = {Data.Dims}, best of {repeats}: {best:F3} s, {flops / best / 1e9:F1} GOP/s");
        }
        return 0;
    }

    /// <summary>The quickest of <paramref name="repeats"/> passes of every row against every row, on every core.</summary>
    private static double Best(PackedRows<float> packed, int n, int repeats)
    {
        const int tile = 64;
        double best = double.PositiveInfinity;
        for (int repeat = 0; repeat <= repeats; repeat++)
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, (n + 255) / 256, () => new float[4 * tile], (block, _, output) =>
            {
                int end = Math.Min(n, (block + 1) * 256);
                for (int tileStart = 0; tileStart < packed.PaddedRows; tileStart += tile)
                    for (int row = block * 256; row < end; row += 4)
                        DistanceKernel.SquaredDistances(packed.RowMajor, packed.Norms, row, Math.Min(4, end - row), packed, tileStart,
                            Math.Min(tile, packed.PaddedRows - tileStart), output, tile);
                return output;
            }, _ => { });
            if (repeat > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds); // the first run warms the JIT up
        }
        return best;
    }
}
