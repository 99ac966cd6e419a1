using GpuSpread.Engine.Cpu;

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
                var cpu = new CpuEngine();
                stderr.WriteLine($"gpuspread: engine auto: using the CPU engine ({cpu.Description.Device}): the GPU engine is not available in this build.");
                return cpu;
            case "gpu":
            case "gpu-sim":
                throw new EngineUnavailableException($"--engine {name}: the GPU engine is not available in this build; use --engine cpu or auto.");
            default:
                throw new ArgumentException($"--engine must be one of {string.Join(", ", Names)}; got '{name}'");
        }
    }
}
