using System.Reflection;
using GpuSpread.Engine.Gpu;
using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime;
using ILGPU.Runtime.OpenCL;

namespace GpuSpread.Tests.Gpu;

/// <summary>
/// OpenCL without a device: every kernel compiles to OpenCL C through ILGPU's OpenCL backend (with every optional
/// capability on), with the engine's FMA as OpenCL's <c>fma()</c> and no call left to a .NET method.
/// </summary>
public class OpenClSourceTests
{
    [Fact]
    public void EveryKernelCompilesToOpenClC()
    {
        using var context = GpuDevices.CreateContext(builder => builder);
        var constructor = typeof(CLCapabilityContext).GetConstructors().Single(c => c.GetParameters().All(p => p.ParameterType == typeof(bool)));
        var capabilities = (CLCapabilityContext)constructor.Invoke(constructor.GetParameters().Select(_ => (object)true).ToArray());
        using var backend = new CLBackend(context, capabilities, CLDeviceVendor.Nvidia, CLCVersion.CL20);
        foreach (var (name, method) in KernelCatalog.All)
        {
            var entry = method.GetCustomAttribute<KernelAttribute>()!.Grouped
                ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
                : EntryPointDescription.FromImplicitlyGroupedKernel(method);
            string source = ((CLCompiledKernel)backend.Compile(entry, new KernelSpecialization())).Source;
            Assert.Contains("kernel void", source);
            Assert.DoesNotContain("FusedMultiplyAdd", source);
            Assert.DoesNotContain("DeviceMath", source);
            if (name.StartsWith("RbfKernels.Pass", StringComparison.Ordinal) || name.StartsWith("PackingKernels.Pack", StringComparison.Ordinal))
                Assert.Matches(@"fma\s*\(", source);
        }
    }
}
