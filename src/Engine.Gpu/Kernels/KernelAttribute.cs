namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>
/// Marks a kernel entry point. The engine loads every marked method (KernelSet.cs); tests/Gpu/PtxTests.cs checks
/// that, and compiles each one for CUDA (and assembles it with ptxas) and for OpenCL.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class KernelAttribute(bool grouped) : Attribute
{
    /// <summary>True for an explicitly grouped kernel (KernelConfig, shared memory, barriers).</summary>
    public bool Grouped { get; } = grouped;
}
