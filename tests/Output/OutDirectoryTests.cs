using System.Globalization;
using GpuSpread.IO;
using GpuSpread.Runner;
using static GpuSpread.Tests.CliHarness;

namespace GpuSpread.Tests.Output;

/// <summary>
/// <c>--out</c> in-process: a path that cannot be a directory is refused plainly (exit 2), an error leaves no directory
/// the run created, the next run removes stale temporary files, and each run's set replaces the last one whole.
/// </summary>
public sealed class OutDirectoryTests : IDisposable
{
    private const int Rows = 20;
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-out-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Two groups of points on a line; labels 3 and 8 at the ends, or none at all.</summary>
    private (string Data, string Labels, string Truth) WriteData(bool labeled = true)
    {
        File.WriteAllLines(PathOf("x.csv"), Enumerable.Range(0, Rows).Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"{(i < Rows / 2 ? i * 0.1 : 5 + i * 0.1)},{0.05 * (i % 3)}")));
        File.WriteAllLines(PathOf("y.csv"), Enumerable.Range(0, Rows).Select(i => !labeled ? "-1" : i == 0 ? "3" : i == Rows - 1 ? "8" : "-1"));
        File.WriteAllLines(PathOf("truth.csv"), Enumerable.Range(0, Rows).Select(i => i < Rows / 2 ? "3" : "8"));
        return (PathOf("x.csv"), PathOf("y.csv"), PathOf("truth.csv"));
    }

    private string[] Command(string command, string output)
    {
        var (data, labels, truth) = WriteData();
        return command switch
        {
            "citation" => ["citation", "--data-dir", PathOf("no-data-set"), "--method", "graph", "--out", output],
            "active" => ["active", "--data", data, "--labels", labels, "--truth", truth, "--rounds", "1", "--batch", "2", "--gamma", "2", "--engine", "cpu", "--out", output],
            _ => [command, "--data", data, "--labels", labels, "--gamma", "2", "--engine", "cpu", "--out", output],
        };
    }

    [Theory]
    [InlineData("spread")]
    [InlineData("self-train")]
    [InlineData("active")]
    [InlineData("citation")]
    public void AnEmptyOutIsRefusedPlainly(string command)
    {
        var (code, _, stderr) = Run(Command(command, ""));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("gpuspread: error: The 'out' parameter must be a directory path (created if missing). Got '' instead.", stderr);
    }

    [Theory]
    [InlineData("spread")]
    [InlineData("self-train")]
    [InlineData("active")]
    [InlineData("citation")]
    public void AnOutThatIsAFileIsRefusedPlainlyAndLeftAlone(string command)
    {
        string file = PathOf("results.txt");
        File.WriteAllText(file, "mine");
        var (code, _, stderr) = Run(Command(command, file));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("The 'out' parameter must be a directory (created if missing), not an existing file.", stderr);
        Assert.Equal("mine", File.ReadAllText(file));

        (code, _, stderr) = Run(Command(command, Path.Combine(file, "run")));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains($"The 'out' parameter must be a directory (created if missing), but {file} is a file.", stderr);
    }

    [Theory]
    [InlineData("spread")]
    [InlineData("self-train")]
    public void AnInputErrorFoundByTheFitLeavesNoDirectoryBehind(string command)
    {
        var (data, labels, _) = WriteData(labeled: false);
        var (code, _, stderr) = Run(command, "--data", data, "--labels", labels, "--engine", "cpu", "--out", PathOf("new/out"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no row is labeled", stderr);
        Assert.False(Directory.Exists(PathOf("new")), "the run left the directories it created");
    }

    [Fact]
    public void AnActiveSessionThatCannotResumeLeavesNoDirectoryBehind()
    {
        var (code, _, stderr) = Run([.. Command("active", PathOf("session")), "--oracle", "terminal", "--resume"]);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no journal to resume from", stderr);
        Assert.False(Directory.Exists(PathOf("session")), "the run left the directory it created");
    }

    [Fact]
    public void AFailedRunLeavesADirectoryThatWasThere()
    {
        Directory.CreateDirectory(PathOf("mine"));
        var (data, labels, _) = WriteData(labeled: false);
        var (code, _, _) = Run("spread", "--data", data, "--labels", labels, "--engine", "cpu", "--out", PathOf("mine"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.True(Directory.Exists(PathOf("mine")));
    }

    [Fact]
    public void ASetThatFailsWhileWrittenLeavesThePreviousOneAsItWas()
    {
        string output = PathOf("out");
        var (code, _, stderr) = Run(Command("spread", output));
        Assert.True(code == ExitCodes.Success, stderr);
        string[] files = ["distributions.csv", "predictions.csv", "summary.json"];
        var before = files.Select(name => File.ReadAllText(Path.Combine(output, name))).ToList();

        using (var directory = OutputDirectory.Open(output))
        {
            var error = Assert.Throws<IOException>(() =>
            {
                using var set = directory.Stage();
                ResultWriter.WritePredictions(set.File("predictions.csv"), [1, 1]);
                AtomicFile.WriteBytes(set.File("summary.json"), _ => throw new IOException("No space left on device"));
                set.Commit();
            });
            Assert.Equal("No space left on device", error.Message);
        }
        Assert.Equal(before, files.Select(name => File.ReadAllText(Path.Combine(output, name))));
        Assert.Single(Directory.GetDirectories(Path.Combine(output, OutputDirectory.StateDirectory, "sets")));
    }

    [Fact]
    public void TheNextRunRemovesStaleTemporaryFilesAndReplacesFilesOfTheOldLayout()
    {
        string output = PathOf("out");
        Directory.CreateDirectory(output);
        string stale = Path.Combine(output, $".distributions.csv.tmp-{Guid.NewGuid():N}");
        File.WriteAllBytes(stale, new byte[1 << 20]);
        File.WriteAllText(Path.Combine(output, "predictions.csv"), "old\n");

        var (code, _, stderr) = Run(Command("spread", output));
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.False(File.Exists(stale));
        Assert.Equal([.. Enumerable.Repeat("3", Rows / 2), .. Enumerable.Repeat("8", Rows / 2)], File.ReadAllLines(Path.Combine(output, "predictions.csv")));
        Assert.Equal(".gpuspread/current/predictions.csv", new FileInfo(Path.Combine(output, "predictions.csv")).LinkTarget);
    }

    [Fact]
    public void EachRunReplacesTheWholeSetOfTheLastOne()
    {
        string output = PathOf("out");
        string[] Names() => [.. Directory.GetFileSystemEntries(output).Select(Path.GetFileName).Where(n => n![0] != '.').Order()!];

        var (code, _, stderr) = Run(Command("self-train", output));
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Equal(["distributions.csv", "predictions.csv", "pseudo_labels.csv", "summary.json"], Names());

        (code, _, stderr) = Run(Command("spread", output));
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Equal(["distributions.csv", "predictions.csv", "summary.json"], Names()); // no pseudo-labels of another run

        (code, _, stderr) = Run(Command("active", output));
        Assert.True(code == ExitCodes.Success, stderr);
        Assert.Equal(["distributions.csv", "labels.csv", "learning_curve.png", "predictions.csv", "report.json", "report.txt"], Names());
        Assert.Single(Directory.GetDirectories(Path.Combine(output, OutputDirectory.StateDirectory, "sets")));
    }
}
