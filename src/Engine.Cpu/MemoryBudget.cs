namespace GpuSpread.Engine.Cpu;

/// <summary>
/// How much memory the rbf distance cache may take. With <c>--memory-limit</c>, the limit less what the fit
/// needs anyway. Without it, the cache is sized by what it saves: faulting a fresh gigabyte in costs about
/// as much as the distance work it spares in spreading's handful of passes (15,000 rows, 6 iterations:
/// 3.7 s with a 900 MiB cache, 4.1 s with none), so spreading keeps a small cache, while propagation, whose
/// loop runs hundreds of passes, may take half of the available memory.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The runtime, code and the program's small buffers.</summary>
    private const long RuntimeBytes = 160L << 20;

    /// <summary>Default cache for loops of few passes (spreading).</summary>
    private const long ShortLoopCacheBytes = 256L << 20;

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
        if (options.MemoryLimitBytes is null && options.Model == DiffusionModel.Spreading)
            available = Math.Min(available, ShortLoopCacheBytes);
        return Math.Max(0, available / ((long)paddedRows * valueBytes));
    }
}
