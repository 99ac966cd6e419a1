using System.CommandLine;
using System.Globalization;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread devices</c>: what ILGPU sees on this machine (name, type, memory, warp size, largest group) and
/// which device <c>--engine gpu</c> would use; with <c>--benchmark</c>, times the rbf pass on that device and prints
/// GFLOP/s and GB/s to compare with the roofline figures of bench/GPU.md.
/// </summary>
public static class DevicesCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var benchmark = new Option<bool>("--benchmark") { Description = "Time the rbf pass (one iteration's operator) on the GPU engine's device." };
        var engine = new Option<string>("--engine") { Description = "gpu (default) or gpu-sim (the CPU simulator) for --benchmark.", DefaultValueFactory = _ => "gpu" };
        engine.AcceptOnlyFromAmong("gpu", "gpu-sim");
        var rows = new Option<int>("--rows") { Description = "n of the benchmark.", DefaultValueFactory = _ => 100_000 };
        var dims = new Option<int>("--dims") { Description = "d of the benchmark.", DefaultValueFactory = _ => 64 };
        var classes = new Option<int>("--classes") { Description = "c of the benchmark.", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Timed passes after one warm-up.", DefaultValueFactory = _ => 3 };
        var command = new Command("devices", "List the devices ILGPU sees and the one the GPU engine would use; --benchmark times the rbf pass.")
        {
            benchmark, engine, rows, dims, classes, repeats,
        };
        command.SetAction(parsed => parsed.GetValue(benchmark)
            ? Benchmark(parsed.GetValue(engine)!, parsed.GetValue(rows), parsed.GetValue(dims), parsed.GetValue(classes), parsed.GetValue(repeats), stdout, stderr)
            : List(stdout));
        return command;
    }

    private static int List(TextWriter stdout)
    {
        var devices = GpuDevices.List();
        stdout.WriteLine($"ILGPU sees {devices.Count} device{(devices.Count == 1 ? "" : "s")}:");
        foreach (var device in devices)
        {
            string memory = device.MemoryBytes is { } bytes
                ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F1} GiB")
                : "host memory";
            string shared = device.SharedMemoryPerGroup == int.MaxValue
                ? "host memory"
                : string.Create(CultureInfo.InvariantCulture, $"{device.SharedMemoryPerGroup / 1024} KiB");
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {device.Name} | {device.Type} | memory {memory} | warp {device.WarpSize} | max group {device.MaxGroupSize} threads | shared memory {shared} per group | {device.Multiprocessors} multiprocessors | {device.Note}"));
        }
        if (GpuEngine.TryCreate(out var gpu, out string reason))
            using (gpu)
                stdout.WriteLine($"--engine gpu and auto use: {gpu.Description.Device}");
        else stdout.WriteLine($"--engine gpu: no usable GPU ({reason}); auto uses the CPU engine.");
        return ExitCodes.Success;
    }

    private static int Benchmark(string engineName, int rows, int dims, int classes, int repeats, TextWriter stdout, TextWriter stderr)
    {
        if (rows < 2 || dims < 1 || classes < 1 || repeats < 1)
        {
            stderr.WriteLine("gpuspread: --rows must be at least 2, --dims, --classes and --repeats at least 1");
            return ExitCodes.BadInput;
        }
        GpuEngine? engine = null;
        if (engineName == "gpu-sim") engine = GpuEngine.CreateSimulator();
        else if (!GpuEngine.TryCreate(out engine, out string reason))
        {
            stderr.WriteLine($"gpuspread: --benchmark: no usable GPU ({reason}); use --engine gpu-sim to time the simulator.");
            return ExitCodes.Failure;
        }
        using (engine)
        {
            try
            {
                stdout.WriteLine(PassBenchmark.Measure(engine, rows, dims, classes, repeats));
                return ExitCodes.Success;
            }
            catch (OutOfMemoryException error)
            {
                stderr.WriteLine($"gpuspread: error: {error.Message}");
                return ExitCodes.Failure;
            }
        }
    }
}
