using System.CommandLine;
using System.Globalization;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Runner;

/// <summary>
/// <c>gpuspread devices</c>: what ILGPU sees on this machine (name, type, memory, warp size, largest group) and
/// which device <c>--engine gpu</c> would use; with <c>--benchmark</c>, times an rbf iteration on that device (or on the
/// simulator or the CPU engine) and prints GFLOP/s to compare with the roofline figures of bench/GPU.md.
/// </summary>
public static class DevicesCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var benchmark = new Option<bool>("--benchmark") { Description = "Time an rbf spreading iteration (the pass, the update, the convergence test) on the GPU engine's device." };
        var engine = new Option<string>("--engine") { Description = "gpu (default), gpu-sim (the CPU simulator) or cpu for --benchmark.", DefaultValueFactory = _ => "gpu" };
        engine.AcceptOnlyFromAmong("gpu", "gpu-sim", "cpu");
        var rows = new Option<int>("--rows") { Description = "n of the benchmark.", DefaultValueFactory = _ => 100_000 };
        var dims = new Option<int>("--dims") { Description = "d of the benchmark.", DefaultValueFactory = _ => 64 };
        var classes = new Option<int>("--classes") { Description = "c of the benchmark.", DefaultValueFactory = _ => 10 };
        var repeats = new Option<int>("--repeats") { Description = "Timed iterations after one warm-up.", DefaultValueFactory = _ => 3 };
        var command = new Command("devices", "List the devices ILGPU sees and the one the GPU engine would use; --benchmark times an rbf iteration.")
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
        return CommandErrors.Run(stderr, () =>
        {
            var features = IterationBenchmark.Features(rows, dims);
            using var engine = EngineSelection.Create(engineName, features, IterationBenchmark.Options(dims), stderr);
            stdout.WriteLine(IterationBenchmark.Measure(engine, features, classes, repeats));
            return ExitCodes.Success;
        }, CancellationToken.None);
    }
}
