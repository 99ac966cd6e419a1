using System.Text.Json;
using GpuSpread.IO;
using GpuSpread.Runner;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Cli;

/// <summary><c>gpuspread spread</c> run in-process: outputs, exit codes, and messages for bad input.</summary>
public sealed class SpreadCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Two well separated groups of points on a line, one label each.</summary>
    private (string Data, string Labels) WriteLine(int n = 21)
    {
        var x = new double[n * 2];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            x[2 * i] = i < n / 2 ? i * 0.1 : 5 + i * 0.1;
            x[2 * i + 1] = 0.05 * (i % 3);
            y[i] = -1;
        }
        y[0] = 4;
        y[n - 1] = 9;
        NpyWriter.Write(PathOf("X.npy"), x, n, 2);
        File.WriteAllLines(PathOf("y.csv"), y.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return (PathOf("X.npy"), PathOf("y.csv"));
    }

    [Theory]
    [InlineData("spreading", "rbf")]
    [InlineData("propagation", "rbf")]
    [InlineData("spreading", "knn")]
    [InlineData("propagation", "knn")]
    public void WritesPredictionsDistributionsAndSummary(string model, string kernel)
    {
        var (data, labels) = WriteLine();
        string output = PathOf("out");
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", output, "--model", model,
            "--kernel", kernel, "--gamma", "2", "--n-neighbors", "5", "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);

        var predictions = File.ReadAllLines(Path.Combine(output, "predictions.csv"));
        Assert.Equal(21, predictions.Length);
        Assert.All(predictions.Take(10), p => Assert.Equal("4", p));
        Assert.All(predictions.Skip(11), p => Assert.Equal("9", p));
        var distributions = File.ReadAllLines(Path.Combine(output, "distributions.csv"));
        Assert.Equal("4,9", distributions[0]);
        Assert.Equal(22, distributions.Length);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(21, root.GetProperty("n").GetInt32());
        Assert.Equal(2, root.GetProperty("d").GetInt32());
        Assert.Equal([4L, 9L], root.GetProperty("classes").EnumerateArray().Select(c => c.GetInt64()));
        Assert.True(root.GetProperty("converged").GetBoolean());
        Assert.True(root.GetProperty("n_iter").GetInt32() > 0);
        Assert.Equal("cpu", root.GetProperty("engine").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("device").GetString()));
        Assert.True(root.GetProperty("seconds").GetDouble() >= 0);
        Assert.Empty(Directory.GetFiles(output, ".*")); // no temporary file left behind
    }

    [Fact]
    public void AutoSaysWhichEngineItChoseAndNonConvergenceIsAWarning()
    {
        var (data, labels) = WriteLine();
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--max-iter", "1", "--gamma", "2");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("engine auto: using the CPU engine", stderr);
        Assert.Contains("max_iter=1 was reached without convergence", stderr);
    }

    [GpuSpread.Tests.Gpu.RequiresNoGpuTheory]
    [InlineData("gpu")]
    public void AnUnavailableEngineFailsClearly(string engine)
    {
        var (data, labels) = WriteLine();
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--engine", engine);
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Contains($"--engine {engine}", stderr);
        Assert.False(Directory.Exists(PathOf("out")) && Directory.GetFiles(PathOf("out")).Length > 0);
    }

    [Theory]
    [InlineData(new[] { "--kernel", "linear" }, "linear")]
    [InlineData(new[] { "--gamma", "-1" }, "gamma")]
    [InlineData(new[] { "--alpha", "1" }, "alpha")]
    [InlineData(new[] { "--kernel", "knn", "--n-neighbors", "21" }, "n_neighbors")]
    [InlineData(new[] { "--max-iter", "0" }, "max_iter")]
    [InlineData(new[] { "--tol", "-1" }, "tol")]
    [InlineData(new[] { "--memory-limit", "lots" }, "'memory_limit' parameter must be a size such as 1GiB")]
    [InlineData(new[] { "--unknown-option" }, "--unknown-option")]
    public void BadParametersExitWithTwoAndNameTheParameter(string[] extra, string named)
    {
        var (data, labels) = WriteLine();
        var (code, _, stderr) = Run(["spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--engine", "cpu", .. extra]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(named, stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
    }

    [Fact]
    public void FeaturesBeyondFloat32RunInFloat64AndFeaturesBeyondEveryPrecisionAreRefused()
    {
        var (_, labels) = WriteLine();
        var rows = Enumerable.Range(0, 21).Select(i => $"{(i < 10 ? i * 0.1 : 5 + i * 0.1)},{0.05 * (i % 3)}").ToArray();
        rows[6] = "1e39,0";
        File.WriteAllLines(PathOf("far.csv"), rows);
        var (code, _, stderr) = Run("spread", "--data", PathOf("far.csv"), "--labels", labels, "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains($"warning: {PathOf("far.csv")}: row 7, column 1 holds 1E+39", stderr);
        Assert.Contains("computing in float64 instead", stderr);
        Assert.Contains("\"precision\": \"float64\"", File.ReadAllText(PathOf("out/summary.json")));

        rows[6] = "1e200,0";
        File.WriteAllLines(PathOf("farther.csv"), rows);
        var refused = Run("spread", "--data", PathOf("farther.csv"), "--labels", labels, "--out", PathOf("out2"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, refused.Code);
        Assert.Contains($"error: {PathOf("farther.csv")}: row 7, column 1 holds 1E+200", refused.Stderr);
        Assert.False(Directory.Exists(PathOf("out2")));
    }

    [Fact]
    public void MissingRequiredOptionsExitWithTwo()
    {
        var (code, _, stderr) = Run("spread", "--data", "X.npy");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("--labels", stderr);
    }

    [Fact]
    public void BadInputFilesExitWithTwoAndSayWhere()
    {
        var (data, labels) = WriteLine();
        File.WriteAllText(PathOf("nan.csv"), "a,b\n1,2\n3,nan\n");
        var nan = Run("spread", "--data", PathOf("nan.csv"), "--labels", labels, "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, nan.Code);
        Assert.Contains("line 3", nan.Stderr);

        File.WriteAllLines(PathOf("short.csv"), ["1", "-1"]);
        var mismatch = Run("spread", "--data", data, "--labels", PathOf("short.csv"), "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, mismatch.Code);
        Assert.Contains("2 labels for 21 feature rows", mismatch.Stderr);

        File.WriteAllLines(PathOf("none.csv"), Enumerable.Repeat("-1", 21));
        var unlabeled = Run("spread", "--data", data, "--labels", PathOf("none.csv"), "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, unlabeled.Code);
        Assert.Contains("no row is labeled", unlabeled.Stderr);

        var missing = Run("spread", "--data", PathOf("absent.npy"), "--labels", labels, "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, missing.Code);
        Assert.Contains("absent.npy", missing.Stderr);
        Assert.False(File.Exists(Path.Combine(PathOf("out"), "predictions.csv")));
    }

    [Fact]
    public void ATruncatedGzipFileExitsWithTwoAndWritesNothing()
    {
        var (_, labels) = WriteLine();
        string text = string.Concat(Enumerable.Range(0, 21).Select(i => $"{(i < 10 ? i * 0.1 : 5 + i * 0.1)},0\n"));
        using (var gzip = new System.IO.Compression.GZipStream(File.Create(PathOf("X.csv.gz")), System.IO.Compression.CompressionLevel.Fastest))
            gzip.Write(System.Text.Encoding.UTF8.GetBytes(text));
        var whole = File.ReadAllBytes(PathOf("X.csv.gz"));
        File.WriteAllBytes(PathOf("X.csv.gz"), whole[..^4]); // 21 rows, as many as the labels, but not the whole file
        var (code, _, stderr) = Run("spread", "--data", PathOf("X.csv.gz"), "--labels", labels, "--out", PathOf("out"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"{PathOf("X.csv.gz")}: ", stderr);
        Assert.Contains("truncated", stderr);
        Assert.False(Directory.Exists(PathOf("out")));
    }

    [Theory]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1.5GB", 1_500_000_000L)]
    [InlineData("123456789", 123456789L)]
    [InlineData("1TB", 1_000_000_000_000L)]
    [InlineData("2TiB", 2L << 40)]
    [InlineData("1T", 1L << 40)]
    [InlineData("64 kb", 64_000L)]
    [InlineData("8388607TiB", 8388607L << 40)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void ParsesMemorySizes(string text, long bytes)
    {
        Assert.True(GpuSpread.Runner.Cli.TryParseBytes(text, out long parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("9223372036854775808")] // 2^63 bytes: one more than a long holds
    [InlineData("8388608TiB")] // 2^63 too
    [InlineData("1e30TB")]
    [InlineData("0.5B")]
    [InlineData("0")]
    [InlineData("-1GB")]
    [InlineData("lots")]
    [InlineData("nanGB")]
    [InlineData("1PB")]
    public void RefusesSizesThatAreNotABytesCount(string text) => Assert.False(GpuSpread.Runner.Cli.TryParseBytes(text, out _));
}
