using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using GpuSpread.Engine.Gpu;
using GpuSpread.Engine.Gpu.Kernels;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace GpuSpread.Tests.Gpu;

/// <summary>
/// CUDA without a GPU: every kernel the engine loads is compiled by ILGPU's PTX backend for sm_80 (A100) and
/// sm_90 (H100) with PTX ISA 7.8 (ILGPU writes <c>.target sm_80</c> for both: the lowest architecture its
/// capabilities need, which the driver assembles for the device at hand), then assembled by NVIDIA's ptxas (CUDA 11.8, from Debian's non-free
/// nvidia-cuda-toolkit; .ci/run installs it) with -warn-spills -warn-lmem-usage -Werror: it must assemble, with no
/// spills and no stack frame. With GPUSPREAD_PTX_REPORT set, each case appends its figures to that file
/// (tab-separated: kernel, architecture, registers, spill stores, spill loads, stack frame, static shared memory).
/// </summary>
public class PtxTests(ITestOutputHelper output)
{
    private static readonly int[] Architectures = [80, 90];

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        foreach (int architecture in Architectures)
            foreach (string kernel in KernelCatalog.All.Keys)
                data.Add(architecture, kernel);
        return data;
    }

    [RequiresPtxasTheory]
    [MemberData(nameof(Cases))]
    public void AssemblesWithoutSpills(int architecture, string kernel)
    {
        string ptx = KernelCatalog.CompilePtx(kernel, architecture);
        var directory = Directory.CreateTempSubdirectory("gpuspread-ptx-");
        try
        {
            string source = Path.Combine(directory.FullName, "kernel.ptx");
            File.WriteAllText(source, ptx);
            var (code, text) = RunPtxas(architecture, source, Path.Combine(directory.FullName, "kernel.cubin"));
            output.WriteLine(text);
            Assert.True(code == 0, $"ptxas failed on {kernel} for sm_{architecture} (exit {code}):\n{text}");
            int registers = Number(text, @"Used (\d+) registers");
            int spillStores = Number(text, @"(\d+) bytes spill stores");
            int spillLoads = Number(text, @"(\d+) bytes spill loads");
            int stack = Number(text, @"(\d+) bytes stack frame");
            int shared = Regex.Match(text, @"(\d+) bytes smem") is { Success: true } match ? int.Parse(match.Groups[1].Value) : 0;
            Assert.Equal(0, spillStores);
            Assert.Equal(0, spillLoads);
            Assert.Equal(0, stack);
            Assert.InRange(registers, 1, 255);
            if (Environment.GetEnvironmentVariable("GPUSPREAD_PTX_REPORT") is { Length: > 0 } report)
                lock (ReportGate)
                    File.AppendAllText(report, $"{kernel}\tsm_{architecture}\t{registers}\t{spillStores}\t{spillLoads}\t{stack}\t{shared}\n");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static readonly object ReportGate = new();

    /// <summary>Runs without ptxas: the PTX itself targets the right architecture and ISA and calls nothing external.</summary>
    [Fact]
    public void EveryKernelCompilesToSelfContainedPtx()
    {
        foreach (string kernel in KernelCatalog.All.Keys)
        {
            string ptx = KernelCatalog.CompilePtx(kernel, 90);
            Assert.Contains(".version 7.8", ptx);
            // ILGPU writes the lowest architecture its capabilities need (sm_80 for an sm_90 backend): the driver, like
            // ptxas -arch=sm_90 in the theory above, assembles it for the device it runs on.
            var target = Regex.Match(ptx, @"\.target sm_(\d+)");
            Assert.True(target.Success && int.Parse(target.Groups[1].Value) <= 90, $"{kernel}: no .target sm_XX for sm_90");
            // An unresolved function (an InternalCall such as MathF.FusedMultiplyAdd without its intrinsic) would be an .extern.
            Assert.DoesNotContain(".extern .func", ptx);
            // The weights use the engine's own exp (bit for bit the CPU engine's), not ex2.approx.
            Assert.DoesNotContain("ex2.approx", ptx);
            if (kernel.Contains("<float>", StringComparison.Ordinal))
                Assert.DoesNotContain("div.approx", ptx);
        }
    }

    /// <summary>The catalog the tests compile is exactly the set of [Kernel] methods of the engine.</summary>
    [Fact]
    public void TheCatalogHoldsEveryKernel()
    {
        var declared = typeof(GpuEngine).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(method => method.GetCustomAttribute<KernelAttribute>() is not null)
            .Select(method => $"{method.DeclaringType!.Name}.{method.Name}")
            .Order().ToArray();
        var loaded = StateKernels.Methods().Concat(PrecisionKernels<float, SingleReal>.GenericMethods())
            .Select(method => $"{method.DeclaringType!.Name}.{method.Name}")
            .Order().ToArray();
        Assert.Equal(declared, loaded);
        Assert.Equal(StateKernels.Methods().Count() + 2 * PrecisionKernels<float, SingleReal>.GenericMethods().Count(), KernelCatalog.All.Count);
    }

    private static (int Code, string Text) RunPtxas(int architecture, string source, string target)
    {
        var start = new ProcessStartInfo(Ptxas.Path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { $"-arch=sm_{architecture}", "-v", "-warn-spills", "-warn-lmem-usage", "-Werror", source, "-o", target })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, text + error.Result);
    }

    private static int Number(string text, string pattern)
    {
        var match = Regex.Match(text, pattern);
        Assert.True(match.Success, $"'{pattern}' not found in the ptxas output:\n{text}");
        return int.Parse(match.Groups[1].Value);
    }
}

/// <summary>Every kernel the engine loads, by name ("RbfKernels.Pass&lt;float&gt;"), compiled for PTX on request.</summary>
public static class KernelCatalog
{
    public static IReadOnlyDictionary<string, MethodInfo> All { get; } = Build();

    private static Dictionary<string, MethodInfo> Build()
    {
        var all = new Dictionary<string, MethodInfo>();
        foreach (var method in StateKernels.Methods()) all[$"{method.DeclaringType!.Name}.{method.Name}"] = method;
        foreach (var method in PrecisionKernels<float, SingleReal>.GenericMethods())
        {
            all[$"{method.DeclaringType!.Name}.{method.Name}<float>"] = method.MakeGenericMethod(typeof(float), typeof(SingleReal));
            all[$"{method.DeclaringType!.Name}.{method.Name}<double>"] = method.MakeGenericMethod(typeof(double), typeof(DoubleReal));
        }
        return all;
    }

    private static readonly object Gate = new();
    private static Context? _context;

    /// <summary>The kernel's PTX for sm_<paramref name="architecture"/> (PTX ISA 7.8), with the engine's context settings.</summary>
    public static string CompilePtx(string kernel, int architecture)
    {
        var method = All[kernel];
        lock (Gate)
        {
            // The engine's settings (ILGPU.Algorithms, O2, the FMA intrinsics); no device is needed to compile.
            _context ??= GpuDevices.CreateContext(builder => builder);
            var cuda = new CudaArchitecture(architecture / 10, architecture % 10);
            using var backend = new PTXBackend(_context, new CudaCapabilityContext(cuda), cuda, CudaInstructionSet.ISA_78, null);
            var entry = method.GetCustomAttribute<KernelAttribute>()!.Grouped
                ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
                : EntryPointDescription.FromImplicitlyGroupedKernel(method);
            return ((PTXCompiledKernel)backend.Compile(entry, new KernelSpecialization())).PTXAssembly;
        }
    }
}
