using System.Diagnostics.CodeAnalysis;
using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread;

/// <summary>
/// The engines by name and the choice between them, the same as the command line's <c>--engine</c>: <c>cpu</c> (the
/// CPU engine), <c>gpu</c> (the GPU engine on a CUDA GPU, else an OpenCL GPU), <c>gpu-sim</c> (the GPU engine's kernels on
/// ILGPU's CPU simulator, slow, for checks) and <c>auto</c> (<see cref="Auto(out string, GraphInput?, DiffusionOptions?)"/>).
/// An engine asked for by name that is missing, or that cannot run the job, is an error, never a silent fallback.
/// The caller owns the engine returned and disposes it (after the estimators that use it).
/// </summary>
public static class Engines
{
    /// <summary>The names <see cref="Create(string, out string, GraphInput?, DiffusionOptions?)"/> accepts, <c>auto</c> first.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "cpu", "gpu", "gpu-sim"];

    /// <summary>
    /// The engine for a job: a usable GPU whose engine can run it (its <see cref="IDiffusionEngine.Capabilities"/>),
    /// else the CPU engine. Without <paramref name="job"/> the capabilities are not checked, and what the chosen engine
    /// cannot run is refused when the estimator fits (<see cref="EngineCapabilityException"/>): today only the
    /// approximate kNN search, which the GPU engine lacks.
    /// </summary>
    /// <param name="job">The input the engine will fit, to check its capabilities against; null to skip the check.</param>
    /// <param name="options">The options it will fit with; null for <see cref="DiffusionOptions.Spreading"/>'s defaults.</param>
    public static IDiffusionEngine Auto(GraphInput? job = null, DiffusionOptions? options = null) => Auto(out _, job, options);

    /// <inheritdoc cref="Auto(GraphInput?, DiffusionOptions?)"/>
    /// <param name="reason">What was chosen and why, one sentence without a final full stop, e.g. "using the CPU engine
    /// (2 cores, AVX-512 (Vector512 distance kernel)): no usable GPU (ILGPU found no CUDA device ...)".</param>
    /// <param name="job">The input the engine will fit, to check its capabilities against; null to skip the check.</param>
    /// <param name="options">The options it will fit with; null for <see cref="DiffusionOptions.Spreading"/>'s defaults.</param>
    public static IDiffusionEngine Auto(out string reason, GraphInput? job = null, DiffusionOptions? options = null)
        => Create(Names[0], out reason, job, options);

    /// <summary>The engine of one of <see cref="Names"/>, checked against <paramref name="job"/> when given.</summary>
    /// <param name="name">auto, cpu, gpu or gpu-sim.</param>
    /// <param name="job">The input the engine will fit, to check its capabilities against; null to skip the check.</param>
    /// <param name="options">The options it will fit with; null for <see cref="DiffusionOptions.Spreading"/>'s defaults.</param>
    /// <exception cref="InvalidParameterException">a name not in <see cref="Names"/>.</exception>
    /// <exception cref="GpuUnavailableException">gpu, and no GPU is usable; the message says why.</exception>
    /// <exception cref="EngineCapabilityException">the engine named cannot run <paramref name="job"/> with <paramref name="options"/>.</exception>
    public static IDiffusionEngine Create(string name, GraphInput? job = null, DiffusionOptions? options = null) => Create(name, out _, job, options);

    /// <inheritdoc cref="Create(string, GraphInput?, DiffusionOptions?)"/>
    /// <param name="name">auto, cpu, gpu or gpu-sim.</param>
    /// <param name="reason">What was chosen and why, one sentence without a final full stop.</param>
    /// <param name="job">The input the engine will fit, to check its capabilities against; null to skip the check.</param>
    /// <param name="options">The options it will fit with; null for <see cref="DiffusionOptions.Spreading"/>'s defaults.</param>
    public static IDiffusionEngine Create(string name, out string reason, GraphInput? job = null, DiffusionOptions? options = null)
        => Create(name, out reason, job, options, TryOpenGpu);

    /// <summary>Opens a GPU engine, or says why none is usable.</summary>
    internal delegate bool GpuOpener([NotNullWhen(true)] out IDiffusionEngine? gpu, out string whyNot);

    /// <summary><see cref="Create(string, out string, GraphInput?, DiffusionOptions?)"/> with the GPU probe given, so that
    /// tests can stand a simulator in for a usable GPU.</summary>
    internal static IDiffusionEngine Create(string name, out string reason, GraphInput? job, DiffusionOptions? options, GpuOpener openGpu)
    {
        ArgumentNullException.ThrowIfNull(name);
        options ??= DiffusionOptions.Spreading();
        var engine = Open(name, out reason, job, options, openGpu);
        if (job is null) return engine;
        try
        {
            engine.Capabilities.Require(engine.Description, job, options);
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    private static IDiffusionEngine Open(string name, out string reason, GraphInput? job, DiffusionOptions options, GpuOpener openGpu)
    {
        switch (name)
        {
            case "cpu":
                reason = "using the CPU engine, asked for by name";
                return new CpuEngine();
            case "gpu":
                if (!openGpu(out var named, out string missing)) throw new GpuUnavailableException($"no usable GPU ({missing})");
                reason = $"using the GPU engine on {named.Description.Device}, asked for by name";
                return named;
            case "gpu-sim":
                reason = "using the GPU engine's kernels on ILGPU's CPU simulator, asked for by name";
                return GpuEngine.CreateSimulator();
            case "auto":
                if (job is not null && GpuEngine.DeclaredCapabilities.Unsupported(job, options) is { } what)
                    return Cpu($"the GPU engine cannot run {what}", out reason);
                if (openGpu(out var gpu, out string whyNot))
                {
                    reason = job is null
                        ? $"using the GPU engine on {gpu.Description.Device}: a GPU is usable"
                        : $"using the GPU engine on {gpu.Description.Device}: a GPU is usable and its engine can run this job";
                    return gpu;
                }
                return Cpu($"no usable GPU ({whyNot})", out reason);
            default:
                throw new InvalidParameterException("engine", name, string.Join(", ", Names));
        }

        static IDiffusionEngine Cpu(string why, out string reason)
        {
            var cpu = new CpuEngine();
            reason = $"using the CPU engine ({cpu.Description.Device}): {why}";
            return cpu;
        }
    }

    /// <summary>Why the first probe found no GPU: a process keeps the devices it started with, so later choices (a Python
    /// session fits many times) do not probe again.</summary>
    private static string? s_noGpu;

    private static bool TryOpenGpu([NotNullWhen(true)] out IDiffusionEngine? gpu, out string whyNot)
    {
        gpu = null;
        if (s_noGpu is { } known)
        {
            whyNot = known;
            return false;
        }
        bool usable = GpuEngine.TryCreate(out var engine, out whyNot);
        if (!usable) s_noGpu = whyNot;
        gpu = engine;
        return usable;
    }
}
