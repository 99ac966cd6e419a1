using System.Text.Json;
using GpuSpread.IO;
using GpuSpread.Runner;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Cli;

/// <summary><c>--knn-search</c> on <c>gpuspread spread</c> and <c>self-train</c>: what runs, what is recorded, what is refused.</summary>
public sealed class KnnSearchCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-knn-search-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Four blobs of 301 rows in 5 dimensions, 3% labeled, and the answer key.</summary>
    private (string Data, string Labels, string Truth) WriteBlobs()
    {
        const int seed = 91, n = 301, d = 5, classes = 4;
        var (x, truth) = TestData.Blobs(seed, n, d, classes, sigma: 0.3);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.03);
        var values = new double[n * d];
        Buffer.BlockCopy(x, 0, values, 0, values.Length * sizeof(double));
        NpyWriter.Write(PathOf("X.npy"), values, n, d);
        NpyWriter.Write(PathOf("y.npy"), labels);
        NpyWriter.Write(PathOf("y_true.npy"), truth);
        return (PathOf("X.npy"), PathOf("y.npy"), PathOf("y_true.npy"));
    }

    private static JsonElement Summary(string output) => JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json"))).RootElement;

    [Fact]
    public void TheApproximateSearchReportsItsRecall()
    {
        var (data, labels, truth) = WriteBlobs();
        string output = PathOf("approximate");
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--truth", truth, "--out", output,
            "--kernel", "knn", "--knn-search", "approximate", "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("knn graph by NN-descent (approximate): recall", stderr);
        var summary = Summary(output);
        Assert.Equal("approximate", summary.GetProperty("knn_search").GetString());
        Assert.Equal(301, summary.GetProperty("knn_recall_sample").GetInt32());
        Assert.InRange(summary.GetProperty("knn_recall").GetDouble(), 0.95, 1);
    }

    [Theory]
    [InlineData("auto")]
    [InlineData("exact")]
    public void AutoIsExactAtThisSize(string search)
    {
        var (data, labels, _) = WriteBlobs();
        string output = PathOf(search);
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", output, "--kernel", "knn", "--knn-search", search, "--engine", "cpu");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.DoesNotContain("NN-descent", stderr);
        var summary = Summary(output);
        Assert.Equal("exact", summary.GetProperty("knn_search").GetString());
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("knn_recall").ValueKind);
    }

    [Fact]
    public void AnUnknownSearchExitsWithTwo()
    {
        var (data, labels, _) = WriteBlobs();
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--kernel", "knn", "--knn-search", "fast");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("'fast' not recognized", stderr);
    }

    [Fact]
    public void TheGpuEngineRefusesTheApproximateSearchWithExitTwo()
    {
        var (data, labels, _) = WriteBlobs();
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--kernel", "knn",
            "--knn-search", "approximate", "--engine", "gpu-sim");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("gpuspread: error: the gpu-sim engine cannot run the approximate kNN search (knn_search='approximate', NN-descent); the cpu engine can", stderr);
        Assert.False(Directory.Exists(PathOf("out")));
    }

    [Fact]
    public void AutoEngineRunsTheApproximateSearchOnTheCpu()
    {
        var (data, labels, _) = WriteBlobs();
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--kernel", "knn", "--knn-search", "approximate");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("using the CPU engine", stderr);
        Assert.Contains("the GPU engine cannot run the approximate kNN search (knn_search='approximate', NN-descent)", stderr);
    }

    [Fact]
    public void SelfTrainingRecordsTheSearch()
    {
        var (data, labels, truth) = WriteBlobs();
        string output = PathOf("self-train");
        var (code, _, stderr) = Run("self-train", "--data", data, "--labels", labels, "--truth", truth, "--out", output,
            "--kernel", "knn", "--knn-search", "approximate", "--engine", "cpu", "--max-rounds", "2");
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("recall", stderr);
        var summary = Summary(output);
        Assert.Equal("approximate", summary.GetProperty("knn_search").GetString());
        Assert.InRange(summary.GetProperty("knn_recall").GetDouble(), 0.95, 1);
    }
}
