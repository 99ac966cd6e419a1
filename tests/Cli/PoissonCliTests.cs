using System.Globalization;
using System.Text.Json;
using GpuSpread.IO;
using GpuSpread.Runner;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Cli;

/// <summary><c>--model poisson</c> and <c>--class-priors</c> in every command that fits, and their errors.</summary>
public sealed class PoissonCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-poisson-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Two noisy strands of 30 points, far apart, one label each (classes 4 and 9), and the answer key.</summary>
    private (string Data, string Labels, string Truth) WriteStrands()
    {
        const int n = 60;
        var random = new Random(11);
        var x = new double[n * 2];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            x[2 * i] = (i < n / 2 ? 0 : 10) + 0.2 * (i % (n / 2)) + 0.01 * random.NextDouble();
            x[2 * i + 1] = 0.05 * random.NextDouble();
            y[i] = i < n / 2 ? 4 : 9;
        }
        NpyWriter.Write(PathOf("X.npy"), x, n, 2);
        File.WriteAllLines(PathOf("y.csv"), y.Select((v, i) => i == 3 || i == n - 4 ? v.ToString(CultureInfo.InvariantCulture) : "-1"));
        File.WriteAllLines(PathOf("y_true.csv"), y.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return (PathOf("X.npy"), PathOf("y.csv"), PathOf("y_true.csv"));
    }

    [Theory]
    [InlineData("rbf", null)]
    [InlineData("knn", null)]
    [InlineData("knn", "uniform")]
    [InlineData("knn", "file")]
    public void SpreadRunsPoissonLearningAndSaysSoInTheSummary(string kernel, string? priors)
    {
        var (data, labels, truth) = WriteStrands();
        string output = PathOf("out");
        var args = new List<string> { "spread", "--data", data, "--labels", labels, "--truth", truth, "--out", output, "--model", "poisson",
            "--kernel", kernel, "--gamma", "5", "--n-neighbors", "4", "--engine", "cpu" };
        string? expectedPriors = null;
        if (priors == "uniform") (expectedPriors, args) = ("uniform", [.. args, "--class-priors", "uniform"]);
        if (priors == "file")
        {
            File.WriteAllText(PathOf("priors.csv"), "class,prior\n4,1\n9,3\n");
            (expectedPriors, args) = ("4: 1, 9: 3", [.. args, "--class-priors", PathOf("priors.csv")]);
        }
        var (code, _, stderr) = Run([.. args]);
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Contains("accuracy on the 58 unlabeled rows with an answer: 100.00 %", stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal("poisson", root.GetProperty("model").GetString());
        Assert.Equal(1000, root.GetProperty("max_iter").GetInt32());
        Assert.Equal(expectedPriors, root.GetProperty("class_priors").GetString());
        Assert.True(root.GetProperty("n_iter").GetInt32() >= PoissonLearning.MinIterations);
    }

    [Fact]
    public void ActiveAndSelfTrainRunPoissonLearning()
    {
        var (data, labels, truth) = WriteStrands();
        var active = Run("active", "--data", data, "--labels", labels, "--truth", truth, "--model", "poisson", "--kernel", "knn",
            "--n-neighbors", "4", "--rounds", "2", "--batch", "3", "--strategy", "margin", "--engine", "cpu", "--out", PathOf("active"));
        Assert.True(active.Code == ExitCodes.Success, active.Stderr);
        Assert.Contains("Poisson learning model: 5 labeled & 55 unlabeled (60 total)", active.Stdout);

        var selfTrain = Run("self-train", "--data", data, "--labels", labels, "--truth", truth, "--model", "poisson", "--kernel", "knn",
            "--n-neighbors", "4", "--engine", "cpu", "--out", PathOf("self"));
        Assert.True(selfTrain.Code == ExitCodes.Success, selfTrain.Stderr);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(PathOf("self"), "summary.json")));
        Assert.Equal("poisson", summary.RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("class,prior\n4,1\n9\n", "line 3: '9' does not have two cells")]
    [InlineData("4,1\n9,-2\n", "line 2: the weight '-2' is not a positive finite number")]
    [InlineData("4,1\n4.5,2\n", "line 2: the label '4.5' is not an integer of 0 or more")]
    [InlineData("4,1\n4,2\n", "line 2: class 4 is listed twice")]
    [InlineData("class,prior\n", "the file lists no class")]
    public void ABadPriorsFileIsNamedByFileAndLine(string text, string message)
    {
        var (data, labels, _) = WriteStrands();
        File.WriteAllText(PathOf("priors.csv"), text);
        var (code, _, stderr) = Run("spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--model", "poisson",
            "--class-priors", PathOf("priors.csv"), "--engine", "cpu");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(PathOf("priors.csv") + ": " + message, stderr);
        Assert.False(Directory.Exists(PathOf("out")) && Directory.EnumerateFileSystemEntries(PathOf("out")).Any(e => !Path.GetFileName(e).StartsWith('.')));
    }

    [Theory]
    [InlineData("class_priors", "--class-priors", "uniform")]
    [InlineData("solver", "--model", "poisson", "--solver", "cg")]
    [InlineData("class_priors", "--model", "poisson", "--class-priors", "priors_without_9.csv")]
    public void BadParametersExitWithTwoAndNameTheParameter(string named, params string[] extra)
    {
        var (data, labels, _) = WriteStrands();
        File.WriteAllText(PathOf("priors_without_9.csv"), "4,1\n");
        var args = extra.Select(a => a.EndsWith(".csv", StringComparison.Ordinal) ? PathOf(a) : a);
        var (code, _, stderr) = Run(["spread", "--data", data, "--labels", labels, "--out", PathOf("out"), "--engine", "cpu", .. args]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(named, stderr);
    }
}
