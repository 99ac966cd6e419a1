using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Runner;

/// <summary>A requested engine that cannot run here; the program exits with <see cref="ExitCodes.Failure"/>.</summary>
public sealed class EngineUnavailableException(string message) : Exception(message);

/// <summary>
/// Turns <c>--engine auto|cpu|gpu|gpu-sim</c> into an engine, saying on stderr what was chosen and why.
/// A device that is asked for and missing is an error, never a silent fallback.
/// </summary>
public static class EngineSelection
{
    public static readonly string[] Names = ["auto", "cpu", "gpu", "gpu-sim"];

    public static IDiffusionEngine Create(string name, TextWriter stderr)
    {
        switch (name)
        {
            case "cpu":
                return new CpuEngine();
            case "auto":
                if (GpuEngine.TryCreate(out var gpu, out string reason))
                {
                    stderr.WriteLine($"gpuspread: engine auto: using the GPU engine on {gpu.Description.Device}.");
                    return gpu;
                }
                var cpu = new CpuEngine();
                stderr.WriteLine($"gpuspread: engine auto: using the CPU engine ({cpu.Description.Device}): no usable GPU ({reason}).");
                return cpu;
            case "gpu":
                return GpuEngine.TryCreate(out var engine, out string why)
                    ? engine
                    : throw new EngineUnavailableException(
                        $"--engine gpu: no usable GPU ({why}); use --engine cpu or auto, or gpu-sim to run the GPU kernels on ILGPU's CPU simulator.");
            case "gpu-sim":
                return GpuEngine.CreateSimulator();
            default:
                throw new ArgumentException($"--engine must be one of {string.Join(", ", Names)}; got '{name}'");
        }
    }
}
