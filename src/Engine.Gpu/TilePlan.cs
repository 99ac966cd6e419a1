using GpuSpread.Engine.Gpu.Kernels;
using ILGPU.Runtime;

namespace GpuSpread.Engine.Gpu;

/// <summary>
/// The shape of a tiled group: <see cref="Threads"/> threads, <see cref="ThreadsX"/> of them along the columns, each
/// with a 4 x 4 block of pairs, so a tile is <see cref="Rows"/> query rows by <see cref="Columns"/> columns; features
/// and classes are staged through shared memory <see cref="FeatureChunk"/> and <see cref="ClassChunk"/> at a time.
/// </summary>
internal sealed record TileShape(int Threads, int ThreadsX, int FeatureChunk, int ClassChunk)
{
    public int Rows => 4 * (Threads / ThreadsX);
    public int Columns => 4 * ThreadsX;

    /// <summary>
    /// The shape for a device and a precision. GPUs: 16 x 16 threads (64 x 64 tiles, 16 features and up to 16
    /// classes staged) in float32, 16 x 8 threads and 8-wide chunks in float64, so that a group's shared memory
    /// stays within 48 KiB; fewer rows when the device offers less. The simulator: <paramref name="simulatorThreads"/>
    /// threads (the CPU accelerator runs each thread of a group on its own OS thread and every barrier is a
    /// rendezvous of them, so the default test engine uses one thread per group and 4 x 4 tiles; a dedicated test runs
    /// multi-threaded groups).
    /// </summary>
    public static TileShape For(Accelerator accelerator, int valueBytes, int simulatorThreads)
    {
        int chunk = valueBytes == 4 ? 16 : 8;
        if (accelerator.AcceleratorType == AcceleratorType.CPU)
        {
            int x = 1;
            while (4 * x * x <= simulatorThreads) x *= 2;
            return new TileShape(simulatorThreads, x, chunk, chunk);
        }
        const int threadsX = 16;
        int threadsY = valueBytes == 4 ? 16 : 8;
        var shape = new TileShape(threadsX * threadsY, threadsX, chunk, chunk);
        while (shape.Threads / threadsX > 1 && (shape.Threads > accelerator.MaxNumThreadsPerGroup
                                               || shape.PassSharedBytes(valueBytes) > accelerator.MaxSharedMemoryPerGroup))
            shape = shape with { Threads = shape.Threads / 2 };
        return shape;
    }

    /// <summary>The class chunk of a pass over <paramref name="classes"/> classes: no wider than needed.</summary>
    public int ClassChunkFor(int classes) => Math.Max(1, Math.Min(ClassChunk, classes));

    public long PassSharedBytes(int valueBytes) =>
        (long)RbfKernels.PassSharedValues(Threads, ThreadsX, FeatureChunk, ClassChunk) * valueBytes;
}

/// <summary>
/// How much work one launch takes and how the row blocks are sized from the memory budget. Device tiles are
/// fixed by <see cref="TileShape"/>; launches go over blocks of query rows. <c>DiffusionOptions.RowTile</c> forces
/// the rows of a launch and <c>ColumnTile</c> the column segments a group walks (the tests force small, odd sizes
/// so that every remainder path runs).
/// </summary>
internal static class TilePlan
{
    /// <summary>Multiply-adds one launch of a tiled pass may take by default (a few milliseconds on a GPU,
    /// short enough for display watchdogs and for cancellation to be prompt).</summary>
    public const long WorkPerLaunch = 1L << 36;

    /// <summary>Query rows per launch of a pass over <paramref name="columns"/> columns.</summary>
    public static int RowsPerLaunch(DiffusionOptions options, TileShape shape, int queryRows, int columns, int dims, int classes)
    {
        if (options.RowTile is { } forced) return Math.Max(1, Math.Min(forced, Math.Max(1, queryRows)));
        long perRow = Math.Max(1L, (long)columns * (dims + classes + 16));
        long rows = Math.Max(shape.Rows, WorkPerLaunch / perRow / shape.Rows * shape.Rows);
        return (int)Math.Min(Math.Max(1, queryRows), rows);
    }

    /// <summary>Columns a group walks before its next segment (all of them unless forced).</summary>
    public static int ColumnSegment(DiffusionOptions options, int columns) => Math.Max(1, options.ColumnTile ?? Math.Max(1, columns));

    /// <summary>The bytes the engine may hold on the device: the memory limit, else 80% of the device (half of the available host memory for the simulator).</summary>
    public static long Budget(DiffusionOptions options, Accelerator accelerator)
    {
        long device = accelerator.AcceleratorType == AcceleratorType.CPU
            ? HostMemory.AvailableBytes() / 2
            : (long)(accelerator.MemorySize * 0.8);
        return options.MemoryLimitBytes is { } limit ? Math.Min(limit, device) : device;
    }

    /// <summary>
    /// Query rows per block when each row needs <paramref name="bytesPerRow"/> bytes of scratch: what the budget
    /// leaves after the live buffers, at least one device tile of rows.
    /// </summary>
    public static int RowsPerBlock(long budget, long liveBytes, long bytesPerRow, int minimumRows, int queryRows)
    {
        long available = Math.Max(0, budget - liveBytes);
        long rows = Math.Max(minimumRows, available / Math.Max(1, bytesPerRow));
        return (int)Math.Max(1, Math.Min(queryRows, rows));
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> on blocks of <paramref name="rows"/> rows; when the device runs out of
    /// memory, halves the rows and tries again, down to one row, then fails with a message that says what was needed.
    /// </summary>
    public static TResult WithHalving<TResult>(int rows, Func<int, TResult> attempt, string what)
    {
        while (true)
        {
            try
            {
                return attempt(rows);
            }
            catch (DeviceOutOfMemoryException error)
            {
                if (rows <= 1)
                    throw new GpuOutOfMemoryException(
                        $"the GPU has no room for {what} even one row at a time ({error.Message}); use --engine cpu, or free device memory", error);
                rows = Math.Max(1, rows / 2);
            }
        }
    }
}
