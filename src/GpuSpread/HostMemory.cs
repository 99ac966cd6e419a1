namespace GpuSpread;

/// <summary>
/// How much memory the engines' default budgets may count on: what the system can give now (Linux's
/// MemAvailable: free memory plus what the kernel can reclaim), within the process's limit (physical memory or
/// its container's). Not the total alone: on a machine where other programs hold most of the memory, half of the
/// total could be more than there is.
/// </summary>
internal static class HostMemory
{
    private const string MemInfo = "/proc/meminfo";

    /// <summary>Bytes available to this process now.</summary>
    public static long AvailableBytes()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (!OperatingSystem.IsLinux()) return limit;
        try
        {
            return ParseMemAvailable(File.ReadLines(MemInfo)) is { } available ? Math.Min(limit, available) : limit;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return limit;
        }
    }

    /// <summary>The MemAvailable line of /proc/meminfo ("MemAvailable:   123456 kB") in bytes; null when missing.</summary>
    public static long? ParseMemAvailable(IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length == 3 && fields[2] == "kB" && long.TryParse(fields[1], out long kib) && kib >= 0 ? kib * 1024 : null;
        }
        return null;
    }
}
