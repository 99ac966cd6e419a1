namespace GpuSpread.Engine.Cpu;

/// <summary>
/// How much memory the rbf weight cache may take: the limit (<c>--memory-limit</c>, by default half of the
/// memory available when the fit starts, <see cref="HostMemory"/>) less what the fit needs anyway. The tile maxima let
/// later passes skip most tiles; the weight blocks save every later pass the distances and exponentials of the tiles it
/// does not skip (bench/RESULTS.md measures both).
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The runtime, code and the program's small buffers.</summary>
    private const long RuntimeBytes = 160L << 20;

    /// <summary>Fraction of available memory the cache may take by default.</summary>
    private const double DefaultFraction = 0.5;

    /// <summary>Bytes the cache may take (0: none).</summary>
    public static long CacheBytes(DiffusionOptions options, FeatureMatrix features, int paddedRows, int valueBytes)
    {
        long input = (long)features.Rows * features.Cols * (features.Single is not null ? 4 : 8);
        long packed = 2L * paddedRows * features.Cols * valueBytes;
        long diffusion = 8L * paddedRows * 16 * sizeof(double);
        long available = (options.MemoryLimitBytes ?? (long)(HostMemory.AvailableBytes() * DefaultFraction))
                         - RuntimeBytes - input - packed - diffusion;
        return Math.Max(0, available);
    }
}
