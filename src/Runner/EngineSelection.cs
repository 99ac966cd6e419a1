using GpuSpread.Engine.Gpu;

namespace GpuSpread.Runner;

/// <summary>A requested engine that cannot run here; the program exits with <see cref="ExitCodes.Failure"/>.</summary>
public sealed class EngineUnavailableException(string message) : Exception(message);

/// <summary>
/// <c>--engine auto|cpu|gpu|gpu-sim</c>: the library's choice (<see cref="Engines"/>), with the command line's words.
/// Auto says on stderr what it chose and why; a device that is asked for and missing, or that cannot run the job, is an
/// error, never a silent fallback.
/// </summary>
public static class EngineSelection
{
    public static readonly string[] Names = [.. Engines.Names];

    /// <exception cref="EngineUnavailableException">gpu asked for and no GPU usable.</exception>
    /// <exception cref="EngineCapabilityException">the engine asked for cannot run <paramref name="input"/> with <paramref name="options"/>.</exception>
    public static IDiffusionEngine Create(string name, GraphInput input, DiffusionOptions options, TextWriter stderr)
    {
        IDiffusionEngine engine;
        string reason;
        try
        {
            engine = Engines.Create(name, out reason, input, options);
        }
        catch (GpuUnavailableException error)
        {
            throw new EngineUnavailableException(
                $"--engine gpu: {error.Message}; use --engine cpu or auto, or gpu-sim to run the GPU kernels on ILGPU's CPU simulator.");
        }
        if (name == Engines.Names[0]) stderr.WriteLine($"gpuspread: engine auto: {reason}.");
        return engine;
    }
}
