using System.Text;
using GpuSpread.IO;
using GpuSpread.Runner;

namespace GpuSpread.Tests.Cli;

/// <summary>
/// With stderr closed (<c>2&gt;&amp;-</c>) or full, every write to it fails: the run goes on and exits with its own code.
/// </summary>
public sealed class ClosedStandardErrorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-stderr-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>What Console.Error throws: on a closed descriptor (EBADF) .NET reports access denied, on a full disk an IOException.</summary>
    private sealed class FailingWriter(bool closed) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => throw (closed
            ? new UnauthorizedAccessException("Access to the path is denied.", new IOException("Bad file descriptor"))
            : new IOException("No space left on device"));
    }

    private static int Run(bool closed, params string[] args) => GpuSpread.Runner.Cli.Run(args, new StringWriter(), new FailingWriter(closed));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ErrorsKeepTheirExitCode(bool closed)
    {
        File.WriteAllLines(PathOf("y.csv"), ["0", "-1"]);
        Assert.Equal(ExitCodes.BadInput, Run(closed, "spread", "--data", PathOf("absent.csv"), "--labels", PathOf("y.csv"), "--out", PathOf("out")));
        Assert.Equal(ExitCodes.BadInput, Run(closed, "spread", "--max-iter", "x"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ARunThatWorksStillSucceeds(bool closed)
    {
        NpyWriter.Write(PathOf("X.npy"), new double[] { 0, 0.1, 5, 5.1 }, 4, 1);
        File.WriteAllLines(PathOf("y.csv"), ["0", "-1", "1", "-1"]);
        Assert.Equal(ExitCodes.Success, Run(closed, "spread", "--data", PathOf("X.npy"), "--labels", PathOf("y.csv"), "--out", PathOf("out"), "--engine", "cpu"));
        Assert.Equal(["0", "0", "1", "1"], File.ReadAllLines(Path.Combine(PathOf("out"), "predictions.csv")));
    }
}
