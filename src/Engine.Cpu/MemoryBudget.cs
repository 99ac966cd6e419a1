namespace GpuSpread.Engine.Cpu;

/// <summary>
/// How much memory the rbf distance cache may take. With <c>--memory-limit</c>, the limit less what the fit
/// needs anyway. Without it, the cache is sized by what it saves: faulting fresh memory in costs more than
/// the distance work it spares in spreading's handful of passes, most of which the tile bounds skip anyway
/// (15,000 rows, 6 iterations: the same 2.5 s of user time with a 256 MiB cache or none, plus 0.75 s of
/// system time with it), so spreading caches nothing by default, while propagation, whose loop runs
/// hundreds of passes, may take half of the available memory.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The runtime, code and the program's small buffers.</summary>
    private const long RuntimeBytes = 160L << 20;


    /// <summary>Fraction of available memory a long loop (propagation) may cache by default.</summary>
    private const double LongLoopFraction = 0.5;

    /// <summary>Rows of the distance cache (each <paramref name="paddedRows"/> values) that fit.</summary>
    public static long CacheableRows(DiffusionOptions options, FeatureMatrix features, int paddedRows, int valueBytes)
    {
        long input = (long)features.Rows * features.Cols * (features.Single is not null ? 4 : 8);
        long packed = 2L * paddedRows * features.Cols * valueBytes;
        long diffusion = 8L * paddedRows * 16 * sizeof(double);
        long available = (options.MemoryLimitBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * LongLoopFraction))
                         - RuntimeBytes - input - packed - diffusion;
        if (options.MemoryLimitBytes is null && options.Model == DiffusionModel.Spreading) return 0;
        return Math.Max(0, available / ((long)paddedRows * valueBytes));
    }
}
