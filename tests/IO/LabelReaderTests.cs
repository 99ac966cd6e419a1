using System.Buffers.Binary;
using GpuSpread.IO;
using Xunit;

namespace GpuSpread.Tests.IO;

public sealed class LabelReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static InputDataException ReadFails(string path)
    {
        var error = Assert.Throws<InputDataException>(() => LabelReader.Read(path));
        Assert.StartsWith(path + ": ", error.Message);
        return error;
    }

    [Theory]
    [InlineData("0\n1\n-1\n2\n")]
    [InlineData("label\n0\n1\n-1\n2\n")]
    [InlineData("label\r\n0\r\n 1 \r\n-1\r\n2\r\n\r\n\r\n")]
    [InlineData("\n0.0\n1\n-1.0\n2e0")]
    public void ReadsTextLabels(string text)
    {
        Assert.Equal([0, 1, -1, 2], LabelReader.Read(_dir.WriteText("y.csv", text)));
        Assert.Equal([0, 1, -1, 2], LabelReader.Read(_dir.WriteText("y.txt", text)));
    }

    [Fact]
    public void NonIntegralLabelNamesLineAndText()
    {
        var error = ReadFails(_dir.WriteText("y.csv", "y\n0\n3.5\n"));
        Assert.Contains("line 3: '3.5' is not an integer", error.Message);
    }

    [Fact]
    public void NonNumericLabelAfterTheFirstLineNamesLineAndText()
    {
        var error = ReadFails(_dir.WriteText("y.csv", "0\n1\ncat\n"));
        Assert.Contains("line 3: 'cat' is not a number", error.Message);
        error = ReadFails(_dir.WriteText("y.csv", "y\n0\n1,2\n"));
        Assert.Contains("line 3: '1,2' is not a number", error.Message);
    }

    [Theory]
    [InlineData("nan", "is not a finite number")]
    [InlineData("3000000000", "is outside the label range")]
    public void OtherBadTextLabelsNameLineAndText(string cell, string problem)
    {
        var error = ReadFails(_dir.WriteText("y.txt", $"1\n{cell}\n"));
        Assert.Contains($"line 2: '{cell}' {problem}", error.Message);
    }

    [Fact]
    public void EmptyAndHeaderOnlyFilesAreRejected()
    {
        Assert.Contains("the file is empty", ReadFails(_dir.WriteText("e.csv", "\n\n")).Message);
        Assert.Contains("no labels: the file has only the header on line 1", ReadFails(_dir.WriteText("h.csv", "label\n")).Message);
    }

    [Fact]
    public void BlankLineBetweenLabelsIsRejected() =>
        Assert.Contains("line 2 is empty", ReadFails(_dir.WriteText("y.csv", "1\n\n2\n")).Message);

    [Fact]
    public void ReadsIntegerNpy()
    {
        string ints = _dir.File("i4.npy"), longs = _dir.File("i8.npy");
        NpyWriter.Write(ints, new[] { 3, -1, 0, 7 });
        NpyWriter.Write(longs, new long[] { 3, -1, 0, 7 });
        Assert.Equal([3, -1, 0, 7], LabelReader.Read(ints));
        Assert.Equal([3, -1, 0, 7], LabelReader.Read(longs));
    }

    [Fact]
    public void ReadsIntegralFloatNpyWithOneColumn()
    {
        string path = _dir.File("f.npy");
        NpyWriter.Write(path, new double[] { 2, -1, 0 }, 3, 1);
        Assert.Equal([2, -1, 0], LabelReader.Read(path));
        NpyWriter.Write(path, new float[] { 1, -1 }, 2, 1);
        Assert.Equal([1, -1], LabelReader.Read(path));
    }

    [Fact]
    public void NonIntegralNpyLabelNamesTheRow()
    {
        string path = _dir.File("f.npy");
        NpyWriter.Write(path, new float[] { 1, -1, 2.5f }, 3, 1);
        Assert.Contains("row 2 (0-based): 2.5 is not an integer", ReadFails(path).Message);
        NpyWriter.Write(path, new double[] { double.NaN }, 1, 1);
        Assert.Contains("row 0 (0-based): NaN is not a finite number", ReadFails(path).Message);
    }

    [Fact]
    public void Int64OutsideTheLabelRangeNamesTheRow()
    {
        string path = _dir.File("i8.npy");
        NpyWriter.Write(path, new long[] { 0, 1L << 40 });
        Assert.Contains("row 1 (0-based)", ReadFails(path).Message);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(20)]
    public void TruncatedGzipLabelsAreAnErrorNamingTheFile(int cut)
    {
        string path = _dir.WriteGzip("y.csv.gz", string.Concat(Enumerable.Range(0, 300).Select(i => $"{i % 7 - 1}\n")), cut);
        Assert.Contains("truncated", ReadFails(path).Message);
    }

    [Theory]
    [InlineData(3, "truncated")]
    [InlineData(5, "wrong data size")]
    public void NpyLabelsShorterOrLongerThanTheHeaderSaysAreRejected(int stored, string problem)
    {
        var data = new byte[stored * 4];
        string path = _dir.WriteBytes("y.npy", NpyBytes.Build(1, NpyBytes.Header("<i4", "(4,)"), data));
        Assert.Contains(problem, ReadFails(path).Message);
    }

    [Fact]
    public void NpyWithTwoColumnsIsRejected()
    {
        string path = _dir.File("m.npy");
        NpyWriter.Write(path, new double[4], 2, 2);
        Assert.Contains("labels must be a 1-D array or a 2-D array with one column, got shape (2, 2)", ReadFails(path).Message);
    }

    [Fact]
    public void EmptyNpyIsRejected()
    {
        string path = _dir.File("z.npy");
        NpyWriter.Write(path, Array.Empty<int>());
        Assert.Contains("no labels: the array has shape (0,)", ReadFails(path).Message);
    }

    [Fact]
    public void MissingFileAndUnknownExtensionAreClearErrors()
    {
        string path = _dir.File("absent.txt");
        Assert.Equal($"{path}: file not found", ReadFails(path).Message);
        Assert.Contains("labels must be .csv, .txt, .npy", ReadFails(_dir.WriteText("y.json", "[1]")).Message);
    }

    [Fact]
    public void ReadsInt32NpyAcrossConversionBuffers()
    {
        var random = new Random(3);
        var labels = new int[100_000];
        for (int i = 0; i < labels.Length; i++) labels[i] = random.Next(-1, 10);
        var bytes = new byte[labels.Length * 4];
        for (int i = 0; i < labels.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), labels[i]);
        string path = _dir.WriteBytes("y.npy", NpyBytes.Build(1, NpyBytes.Header("<i4", $"({labels.Length}, 1)"), bytes));
        Assert.Equal(labels, LabelReader.Read(path));
    }
}
