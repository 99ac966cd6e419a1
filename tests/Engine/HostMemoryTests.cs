namespace GpuSpread.Tests.Engine;

/// <summary>The default memory budgets start from what the system can give now (/proc/meminfo's MemAvailable).</summary>
public class HostMemoryTests
{
    [Fact]
    public void ReadsMemAvailableInBytes()
    {
        string[] meminfo =
        [
            "MemTotal:       24594112 kB",
            "MemFree:         1203456 kB",
            "MemAvailable:   10485760 kB",
            "Buffers:          123456 kB",
        ];
        Assert.Equal(10485760L * 1024, HostMemory.ParseMemAvailable(meminfo));
    }

    [Theory]
    [InlineData("MemTotal:       24594112 kB")]
    [InlineData("MemAvailable:   lots kB")]
    [InlineData("MemAvailable:   1024 MB")]
    [InlineData("MemAvailable:")]
    public void GivesNothingForAMissingOrUnreadableLine(string line) => Assert.Null(HostMemory.ParseMemAvailable([line]));

    [Fact]
    public void AvailableMemoryIsWithinTheProcesssLimit()
    {
        long available = HostMemory.AvailableBytes();
        Assert.InRange(available, 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        if (OperatingSystem.IsLinux())
        {
            // MemAvailable moves with other programs; it cannot be far above what it was a moment ago.
            long now = HostMemory.ParseMemAvailable(File.ReadLines("/proc/meminfo"))!.Value;
            Assert.InRange(available, 1, now + (1L << 30));
        }
    }
}
