using System.Runtime.InteropServices;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Native memory for cached weight blocks, 64-byte aligned and counted as memory pressure while it is held, freed by
/// <see cref="Dispose"/> or the finalizer. Plain pages: asking Linux for transparent huge pages (madvise) made it
/// compact memory at every fault, and on this project's virtual machines that took several times longer than the
/// 4 KiB faults (bench/RESULTS.md). The pages are faulted in as the passes first write them.
/// </summary>
internal sealed unsafe class NativeBlocks<T> : IDisposable where T : unmanaged
{
    private const nuint Alignment = 64;
    private T* _start;

    public NativeBlocks(long values)
    {
        Bytes = values * sizeof(T);
        _start = (T*)NativeMemory.AlignedAlloc((nuint)Bytes, Alignment);
        GC.AddMemoryPressure(Bytes);
    }

    public long Bytes { get; }

    /// <summary>The first value.</summary>
    public T* Start
    {
        get
        {
            ObjectDisposedException.ThrowIf(_start == null, this);
            return _start;
        }
    }

    public void Dispose()
    {
        if (_start == null) return;
        NativeMemory.AlignedFree(_start);
        _start = null;
        GC.RemoveMemoryPressure(Bytes);
        GC.SuppressFinalize(this);
    }

    ~NativeBlocks() => Dispose();
}
