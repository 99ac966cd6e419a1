namespace GpuSpread.Engine.Cpu;

/// <summary>
/// How much of the memory budget the rbf distance cache may take: the limit (or, by default, half of
/// the memory available to the process) less what the fit needs anyway.
/// </summary>
internal static class MemoryBudget
{
    /// <summary>The runtime, code and the program's small buffers.</summary>
    private const long RuntimeBytes = 160L << 20;

    /// <summary>Fraction of available memory the engine takes when no limit is given.</summary>
    private const double DefaultFraction = 0.5;

    public static long LimitBytes(DiffusionOptions options)
        => options.MemoryLimitBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * DefaultFraction);

    /// <summary>Rows of the distance cache (each <paramref name="paddedRows"/> values) that fit.</summary>
    public static long CacheableRows(DiffusionOptions options, FeatureMatrix features, int paddedRows, int valueBytes)
    {
        long input = (long)features.Rows * features.Cols * (features.Single is not null ? 4 : 8);
        long packed = 2L * paddedRows * features.Cols * valueBytes;
        long diffusion = 8L * paddedRows * 16 * valueBytes;
        long free = LimitBytes(options) - RuntimeBytes - input - packed - diffusion;
        return Math.Max(0, free / ((long)paddedRows * valueBytes));
    }
}
