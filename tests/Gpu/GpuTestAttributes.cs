using System.Runtime.CompilerServices;

namespace GpuSpread.Tests.Gpu;

/// <summary>A fact that needs a real GPU (CUDA or OpenCL): reported as skipped, with the reason, where there is none.</summary>
public sealed class RequiresGpuFactAttribute : FactAttribute
{
    public RequiresGpuFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!TestData.GpuAvailability.Usable) Skip = $"no usable GPU: {TestData.GpuAvailability.Reason}";
    }
}

/// <summary>A theory that needs a real GPU (CUDA or OpenCL): reported as skipped, with the reason, where there is none.</summary>
public sealed class RequiresGpuTheoryAttribute : TheoryAttribute
{
    public RequiresGpuTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (!TestData.GpuAvailability.Usable) Skip = $"no usable GPU: {TestData.GpuAvailability.Reason}";
    }
}

/// <summary>A theory about what happens without a GPU: skipped on a machine that has one.</summary>
public sealed class RequiresNoGpuTheoryAttribute : TheoryAttribute
{
    public RequiresNoGpuTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (TestData.GpuAvailability.Usable) Skip = "this machine has a usable GPU: the no-GPU path cannot be checked here";
    }
}

/// <summary>
/// A theory that needs NVIDIA's PTX assembler: the path in GPUSPREAD_PTXAS (.ci/run installs ptxas from Debian's
/// nvidia-cuda-toolkit and sets it). Without it the cases are reported as skipped, never passed.
/// </summary>
public sealed class RequiresPtxasTheoryAttribute : TheoryAttribute
{
    public RequiresPtxasTheoryAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (Ptxas.Path is null) Skip = Ptxas.Missing;
    }
}

/// <summary>Where ptxas is (GPUSPREAD_PTXAS), or null.</summary>
public static class Ptxas
{
    public const string Variable = "GPUSPREAD_PTXAS";

    public static string? Path => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } path && File.Exists(path) ? path : null;

    public static string Missing =>
        $"ptxas not found: set {Variable} to NVIDIA's PTX assembler (bash .ci/run installs it from Debian's nvidia-cuda-toolkit into ~/.cache/gpuspread/ptxas)";
}
