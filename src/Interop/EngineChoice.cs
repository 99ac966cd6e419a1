using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Interop;

/// <summary>
/// Turns <c>engine='auto'|'cpu'|'gpu'|'gpu-sim'</c> into an engine for one fit, with a sentence saying what was chosen
/// and why. Auto takes a usable GPU whose engine can run the job, else the CPU engine (the command line's rule,
/// src/Runner/EngineSelection.cs); a GPU asked for and missing is an error, never a silent fallback.
/// </summary>
internal static class EngineChoice
{
    public static readonly string[] Names = ["auto", "cpu", "gpu", "gpu-sim"];

    /// <summary>Why the first auto choice found no GPU: a process keeps its devices, so later fits do not look again.</summary>
    private static string? s_noGpu;

    /// <exception cref="InvalidParameterException">an unknown engine name.</exception>
    /// <exception cref="GpuUnavailableException">gpu asked for and no GPU usable.</exception>
    /// <exception cref="EngineCapabilityException">the engine asked for cannot run <paramref name="input"/> with <paramref name="options"/>.</exception>
    public static (IDiffusionEngine Engine, string Choice) Open(string name, GraphInput input, DiffusionOptions options)
    {
        var (engine, choice) = name switch
        {
            "cpu" => (new CpuEngine(), "cpu: asked for"),
            "gpu" => (GpuEngine.TryCreate(out var gpu, out string why) ? gpu
                : throw new GpuUnavailableException(
                    $"engine='gpu': no usable GPU ({why}); use engine='cpu' or 'auto', or 'gpu-sim' to run the GPU kernels on ILGPU's CPU simulator"), "gpu: asked for"),
            "gpu-sim" => (GpuEngine.CreateSimulator(), "gpu-sim: asked for"),
            "auto" => Auto(input, options),
            _ => throw new InvalidParameterException("engine", name, string.Join(", ", Names.Select(n => $"'{n}'"))),
        };
        try
        {
            engine.Capabilities.Require(engine.Description, input, options);
            return (engine, choice);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    private static (IDiffusionEngine, string) Auto(GraphInput input, DiffusionOptions options)
    {
        if (GpuEngine.DeclaredCapabilities.Unsupported(input, options) is { } what)
            return (new CpuEngine(), $"auto: the CPU engine, since the GPU engine cannot run {what}");
        if (s_noGpu is null)
        {
            if (GpuEngine.TryCreate(out var gpu, out string reason)) return (gpu, $"auto: the GPU engine on {gpu.Description.Device}");
            s_noGpu = reason;
        }
        return (new CpuEngine(), $"auto: the CPU engine, since there is no usable GPU ({s_noGpu})");
    }
}
