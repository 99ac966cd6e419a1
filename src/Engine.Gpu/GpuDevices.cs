using System.Globalization;
using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace GpuSpread.Engine.Gpu;

/// <summary>One device ILGPU sees (the <c>gpuspread devices</c> listing).</summary>
/// <param name="Name">The device's name.</param>
/// <param name="Type">Cuda, OpenCL or CPU.</param>
/// <param name="MemoryBytes">Device memory (null for the CPU accelerator, which uses host memory).</param>
/// <param name="WarpSize">Threads per warp.</param>
/// <param name="MaxGroupSize">Threads per group at most.</param>
/// <param name="SharedMemoryPerGroup">Shared memory per group in bytes.</param>
/// <param name="Multiprocessors">Multiprocessors (SMs / compute units).</param>
/// <param name="Note">What the GPU engine makes of it.</param>
public sealed record GpuDeviceInfo(string Name, string Type, long? MemoryBytes, int WarpSize, int MaxGroupSize,
    int SharedMemoryPerGroup, int Multiprocessors, string Note);

/// <summary>No GPU the engine can use: CUDA, then OpenCL GPUs were tried; <see cref="Exception.Message"/> says why not.</summary>
public sealed class GpuUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Accelerator selection: a CUDA device first, then an OpenCL GPU, never a silent fallback; the CPU simulator
/// only when asked for. Every context has ILGPU.Algorithms enabled, ILGPU's O2 optimisations (without them
/// loads and stores stay generic rather than global/shared), and the engine's FMA and strict-product intrinsics.
/// </summary>
public static class GpuDevices
{
    internal static Context CreateContext(Func<Context.Builder, Context.Builder> devices) =>
        WithIntrinsics(Context.Create(builder => devices(builder).EnableAlgorithms().Optimize(OptimizationLevel.O2)));

    private static Context WithIntrinsics(Context context)
    {
        DeviceMath.Register(context);
        return context;
    }

    /// <summary>Everything ILGPU sees on this machine, with what the GPU engine makes of each device.</summary>
    public static IReadOnlyList<GpuDeviceInfo> List()
    {
        using var context = Context.Create(builder => builder.Default());
        var result = new List<GpuDeviceInfo>();
        foreach (var device in context)
        {
            string note = device switch
            {
                CudaDevice => "usable: the GPU engine's first choice",
                CLDevice cl when cl.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_GPU) => "usable when no CUDA device is present",
                CLDevice => "not used: an OpenCL device that is not a GPU",
                CPUDevice => "ILGPU's CPU accelerator: used only by --engine gpu-sim (a slow simulator)",
                _ => "not used",
            };
            result.Add(new GpuDeviceInfo(device.Name, device.AcceleratorType.ToString(),
                device.AcceleratorType == AcceleratorType.CPU ? null : device.MemorySize, device.WarpSize, device.MaxNumThreadsPerGroup,
                device.MaxSharedMemoryPerGroup, device.NumMultiprocessors, note));
        }
        return result;
    }

    /// <summary>Opens the first CUDA device, else the first OpenCL GPU; null with the reason when there is none.</summary>
    internal static (Context Context, Accelerator Accelerator)? OpenGpu(out string reason)
    {
        Context? context = null;
        try
        {
            context = CreateContext(builder => builder.Default());
            // CUDA devices first, then OpenCL GPUs (ILGPU lists the CPU accelerator too; it is never picked here).
            var candidates = context.Devices.Where(d => d is CudaDevice)
                .Concat(context.Devices.Where(d => d is CLDevice cl && cl.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_GPU)))
                .ToList();
            var failures = new List<string>();
            foreach (var device in candidates)
            {
                try
                {
                    var accelerator = device.CreateAccelerator(context);
                    reason = "";
                    return (context, accelerator);
                }
                catch (Exception error) when (error is AcceleratorException or NotSupportedException or InvalidOperationException or CapabilityNotSupportedException)
                {
                    failures.Add($"{device.AcceleratorType} device '{device.Name}' failed to open: {error.Message}");
                }
            }
            reason = failures.Count > 0
                ? string.Join("; ", failures)
                : "ILGPU found no CUDA device (no NVIDIA driver or GPU) and no OpenCL GPU";
            context.Dispose();
            return null;
        }
        catch (Exception error) when (error is AcceleratorException or DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            context?.Dispose();
            reason = $"the GPU runtimes could not be probed: {error.Message}";
            return null;
        }
    }

    /// <summary>The device in words: name, backend, memory and multiprocessors.</summary>
    internal static string Describe(Accelerator accelerator, int simulatorThreads) => accelerator.AcceleratorType switch
    {
        AcceleratorType.CPU => string.Create(CultureInfo.InvariantCulture,
            $"ILGPU CPU accelerator (simulator), groups of {simulatorThreads} thread{(simulatorThreads == 1 ? "" : "s")}, {accelerator.NumMultiprocessors} groups at a time"),
        _ => string.Create(CultureInfo.InvariantCulture,
            $"{accelerator.Name} ({(accelerator.AcceleratorType == AcceleratorType.Cuda ? "CUDA" : "OpenCL")}, {accelerator.MemorySize / (double)(1L << 30):F1} GiB, {accelerator.NumMultiprocessors} multiprocessors)"),
    };
}
