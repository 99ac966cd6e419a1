using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace GpuSpread.Engine.Gpu;

/// <summary>The GPU has no room for what a fit needs, even with the smallest tiles.</summary>
public sealed class GpuOutOfMemoryException(string message, Exception? inner = null) : OutOfMemoryException(message, inner);

/// <summary>One allocation failed for lack of device memory (caught by the tile planner, which halves the tiles and retries).</summary>
internal sealed class DeviceOutOfMemoryException(long requestedBytes, long liveBytes, string purpose, Exception? inner)
    : Exception($"out of device memory allocating {requestedBytes} bytes for {purpose} ({liveBytes} bytes already allocated)", inner)
{
    public long RequestedBytes { get; } = requestedBytes;
}

/// <summary>
/// Every device allocation of the engine goes through here, so that what a fit takes is known: the bytes
/// allocated in total, the peak of the bytes alive at once, and the largest single buffer. The tests check these
/// against a bound linear in n (nothing may grow with n x n). Device out-of-memory errors of any backend become
/// <see cref="DeviceOutOfMemoryException"/>.
/// </summary>
internal sealed class DeviceMemory(Accelerator accelerator)
{
    private readonly object _gate = new();
    private long _live;

    public Accelerator Accelerator { get; } = accelerator;

    /// <summary>Bytes allocated since the engine was created (or <see cref="ResetCounters"/>).</summary>
    public long TotalAllocatedBytes { get; private set; }

    /// <summary>The most bytes alive at once.</summary>
    public long PeakLiveBytes { get; private set; }

    /// <summary>The largest single allocation.</summary>
    public long LargestBufferBytes { get; private set; }

    public long LiveBytes
    {
        get { lock (_gate) return _live; }
    }

    /// <summary>For tests: an allocation that would take the live bytes above this fails as device out-of-memory does.</summary>
    public long? SimulatedCapacityBytes { get; set; }

    public void ResetCounters()
    {
        lock (_gate)
        {
            TotalAllocatedBytes = 0;
            PeakLiveBytes = _live;
            LargestBufferBytes = 0;
        }
    }

    /// <summary>A dense buffer of <paramref name="length"/> elements (at least one, ILGPU refuses empty buffers).</summary>
    public DeviceBuffer<T> Allocate<T>(long length, string purpose) where T : unmanaged
    {
        length = Math.Max(1, length);
        long bytes = length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        lock (_gate)
            if (SimulatedCapacityBytes is { } capacity && _live + bytes > capacity)
                throw new DeviceOutOfMemoryException(bytes, _live, purpose, null);
        MemoryBuffer1D<T, Stride1D.Dense> buffer;
        try
        {
            buffer = Accelerator.Allocate1D<T>(length);
        }
        catch (Exception error) when (IsOutOfMemory(error))
        {
            throw new DeviceOutOfMemoryException(bytes, LiveBytes, purpose, error);
        }
        lock (_gate)
        {
            _live += bytes;
            TotalAllocatedBytes += bytes;
            PeakLiveBytes = Math.Max(PeakLiveBytes, _live);
            LargestBufferBytes = Math.Max(LargestBufferBytes, bytes);
        }
        return new DeviceBuffer<T>(this, buffer, length, bytes);
    }

    /// <summary>A buffer holding a copy of <paramref name="values"/>.</summary>
    public DeviceBuffer<T> Upload<T>(T[] values, string purpose) where T : unmanaged
    {
        var buffer = Allocate<T>(values.Length, purpose);
        if (values.Length > 0) buffer.View.SubView(0, values.Length).CopyFromCPU(values);
        return buffer;
    }

    internal void Release(long bytes)
    {
        lock (_gate) _live -= bytes;
    }

    public static bool IsOutOfMemory(Exception error) => error switch
    {
        OutOfMemoryException => true,
        CudaException cuda => cuda.Error == nameof(CudaError.CUDA_ERROR_OUT_OF_MEMORY),
        CLException cl => cl.Error is CLError.CL_MEM_OBJECT_ALLOCATION_FAILURE or CLError.CL_OUT_OF_RESOURCES or CLError.CL_OUT_OF_HOST_MEMORY,
        _ => error.InnerException is { } inner && IsOutOfMemory(inner),
    };
}

/// <summary>A device buffer whose bytes are counted by <see cref="DeviceMemory"/> until it is disposed.</summary>
internal sealed class DeviceBuffer<T>(DeviceMemory memory, MemoryBuffer1D<T, Stride1D.Dense> buffer, long length, long bytes) : IDisposable
    where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer = buffer;

    public long Length { get; } = length;

    public ArrayView<T> View => (_buffer ?? throw new ObjectDisposedException(nameof(DeviceBuffer<T>))).View;

    /// <summary>Copies the first <paramref name="count"/> elements back.</summary>
    public T[] Download(long count)
    {
        var result = new T[count];
        if (count > 0) View.SubView(0, count).CopyToCPU(result);
        return result;
    }

    public void Dispose()
    {
        if (_buffer is null) return;
        _buffer.Dispose();
        _buffer = null;
        memory.Release(bytes);
    }
}
