namespace GpuSpread.Engine.Cpu;

/// <summary>
/// How much memory the rbf weight cache may take: the limit (<c>--memory-limit</c>, by default half of the
/// available memory) less what the fit needs anyway. The tile maxima always repay their memory (they let later
/// passes skip most tiles). The weight blocks repay it only over many passes: faulting fresh memory in costs
/// here about what computing the blocks again costs in spreading's handful of passes (15,000 rows, 6
/// iterations: the same fit time with 100 MB of blocks or none; 100,000 rows would fault in gigabytes), so
/// spreading keeps blocks only under an explicit limit, while propagation, whose loop runs hundreds of
/// passes, always does.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The runtime, code and the program's small buffers.</summary>
    private const long RuntimeBytes = 160L << 20;

    /// <summary>Fraction of available memory the cache may take by default.</summary>
    private const double DefaultFraction = 0.5;

    /// <summary>Whether the cache keeps weight blocks besides the tile maxima.</summary>
    public static bool KeepsBlocks(DiffusionOptions options) =>
        options.MemoryLimitBytes is not null || options.Model == DiffusionModel.Propagation;

    /// <summary>Bytes the cache may take (0: none).</summary>
    public static long CacheBytes(DiffusionOptions options, FeatureMatrix features, int paddedRows, int valueBytes)
    {
        long input = (long)features.Rows * features.Cols * (features.Single is not null ? 4 : 8);
        long packed = 2L * paddedRows * features.Cols * valueBytes;
        long diffusion = 8L * paddedRows * 16 * sizeof(double);
        long available = (options.MemoryLimitBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * DefaultFraction))
                         - RuntimeBytes - input - packed - diffusion;
        return Math.Max(0, available);
    }
}
