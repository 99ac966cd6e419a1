using System.Globalization;
using System.Text;
using GpuSpread.IO;
using Xunit;

namespace GpuSpread.Tests.IO;

public sealed class WriterTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AtomicWriteReplacesTheTarget()
    {
        string path = _dir.WriteText("out.txt", "old");
        AtomicFile.WriteText(path, writer => writer.Write("new"));
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void FailedTextWriteLeavesTheTargetUntouchedAndNoTempFile()
    {
        string path = _dir.WriteText("out.txt", "old");
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteText(path, writer =>
        {
            writer.Write(new string('x', 100_000));
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal("boom", error.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void FailedByteWriteCreatesNothing()
    {
        string path = _dir.File("new.bin");
        Assert.Throws<IOException>(() => AtomicFile.WriteBytes(path, stream =>
        {
            stream.Write(new byte[10]);
            throw new IOException("disk full");
        }));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void PredictionsAreOneLabelPerLine()
    {
        string path = _dir.File("pred.csv");
        ResultWriter.WritePredictions(path, [0, -1, 12, long.MaxValue]);
        Assert.Equal($"0\n-1\n12\n{long.MaxValue}\n", File.ReadAllText(path));
    }

    [Fact]
    public void DistributionsRoundTrip()
    {
        var random = new Random(17);
        long[] classes = [-5, 0, 3];
        var values = new double[4 * 3];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble();
        values[0] = 1.0 / 3;
        values[1] = double.Epsilon;
        values[2] = 0;
        string path = _dir.File("proba.csv");
        ResultWriter.WriteDistributions(path, classes, values, 3);

        string[] lines = File.ReadAllText(path).Split('\n');
        Assert.Equal(6, lines.Length); // a header, 4 rows and the empty string after the last '\n'
        Assert.Equal("-5,0,3", lines[0]);
        Assert.Equal("", lines[5]);
        var read = new List<double>();
        foreach (string line in lines[1..5])
            foreach (string cell in line.Split(','))
                read.Add(double.Parse(cell, CultureInfo.InvariantCulture));
        Assert.Equal(values, read);
    }

    [Fact]
    public void ManyRowsAreWrittenInOrder()
    {
        // Enough rows for several chunks, formatted in parallel, and several batches of them on a small machine.
        const int rows = 40_001, c = 25;
        var random = new Random(23);
        long[] classes = Enumerable.Range(0, c).Select(k => (long)k * 7 - 3).ToArray();
        var values = new double[rows * c];
        for (int i = 0; i < values.Length; i++) values[i] = random.NextDouble() * Math.Pow(10, random.Next(-30, 3));
        string path = _dir.File("many.csv");
        ResultWriter.WriteDistributions(path, classes, values, c);

        var expected = new StringBuilder(string.Join(',', classes)).Append('\n');
        for (int r = 0; r < rows; r++)
            expected.AppendJoin(',', values.Skip(r * c).Take(c).Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        Assert.Equal(expected.ToString(), File.ReadAllText(path));
    }

    [Fact]
    public void DistributionsCheckTheirShape()
    {
        string path = _dir.File("proba.csv");
        Assert.Throws<ArgumentException>(() => ResultWriter.WriteDistributions(path, [0, 1], new double[4], 3));
        Assert.Throws<ArgumentException>(() => ResultWriter.WriteDistributions(path, [0, 1], new double[5], 2));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }
}
