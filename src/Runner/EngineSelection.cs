using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Runner;

/// <summary>A requested engine that cannot run here; the program exits with <see cref="ExitCodes.Failure"/>.</summary>
public sealed class EngineUnavailableException(string message) : Exception(message);

/// <summary>
/// Turns <c>--engine auto|cpu|gpu|gpu-sim</c> into an engine for a job, saying on stderr what was chosen and why. Auto
/// takes a usable GPU whose engine can run the job (its <see cref="EngineCapabilities"/>), else the CPU engine. A device
/// that is asked for and missing, or that cannot run the job, is an error, never a silent fallback.
/// </summary>
public static class EngineSelection
{
    public static readonly string[] Names = ["auto", "cpu", "gpu", "gpu-sim"];

    /// <exception cref="EngineUnavailableException">gpu asked for and no GPU usable.</exception>
    /// <exception cref="EngineCapabilityException">the engine asked for cannot run <paramref name="input"/> with <paramref name="options"/>.</exception>
    public static IDiffusionEngine Create(string name, GraphInput input, DiffusionOptions options, TextWriter stderr)
    {
        var engine = Open(name, input, options, stderr);
        try
        {
            engine.Capabilities.Require(engine.Description, input, options);
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    private static IDiffusionEngine Open(string name, GraphInput input, DiffusionOptions options, TextWriter stderr)
    {
        switch (name)
        {
            case "cpu":
                return new CpuEngine();
            case "auto":
                if (GpuEngine.DeclaredCapabilities.Unsupported(input, options) is { } what)
                    return Cpu($"the GPU engine cannot run {what}");
                if (GpuEngine.TryCreate(out var gpu, out string reason))
                {
                    stderr.WriteLine($"gpuspread: engine auto: using the GPU engine on {gpu.Description.Device}.");
                    return gpu;
                }
                return Cpu($"no usable GPU ({reason})");
            case "gpu":
                return GpuEngine.TryCreate(out var engine, out string why)
                    ? engine
                    : throw new EngineUnavailableException(
                        $"--engine gpu: no usable GPU ({why}); use --engine cpu or auto, or gpu-sim to run the GPU kernels on ILGPU's CPU simulator.");
            case "gpu-sim":
                return GpuEngine.CreateSimulator();
            default:
                throw new InvalidParameterException("engine", name, string.Join(", ", Names));
        }

        IDiffusionEngine Cpu(string why)
        {
            var cpu = new CpuEngine();
            stderr.WriteLine($"gpuspread: engine auto: using the CPU engine ({cpu.Description.Device}): {why}.");
            return cpu;
        }
    }
}
