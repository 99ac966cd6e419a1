using System.Globalization;
using System.IO.Compression;
using System.Text;
using GpuSpread.IO;
using Xunit;

namespace GpuSpread.Tests.IO;

public sealed class CsvFeatureTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private InputDataException ReadFails(string text, string name = "x.csv")
    {
        string path = _dir.WriteText(name, text);
        var error = Assert.Throws<InputDataException>(() => FeatureReader.Read(path));
        Assert.StartsWith(path + ": ", error.Message);
        return error;
    }

    [Theory]
    [InlineData("1,2,3\n4,5,6\n")]
    [InlineData("a,b,c\n1,2,3\n4,5,6\n")]
    [InlineData("a,b,c\r\n1,2,3\r\n4,5,6\r\n")]
    [InlineData("\n\n 1 , 2,3\t\n4, 5e0 ,6\n\n \n")]
    [InlineData(",x,y\n1,2,3\n4,5,6")]
    [InlineData("1,2,+3\n0.4e1,5.,6.000\n")]
    public void ReadsWithOrWithoutHeader(string text)
    {
        var matrix = FeatureReader.Read(_dir.WriteText("x.csv", text));
        Assert.Equal((2, 3), (matrix.Rows, matrix.Cols));
        Assert.Equal(new double[] { 1.0, 2, 3, 4, 5, 6 }, matrix.Double);
    }

    [Fact]
    public void RoundTripsRandomValuesExactly()
    {
        var random = new Random(11);
        var values = new double[300 * 4];
        var text = new StringBuilder("f0,f1,f2,f3\n");
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-30, 30));
            text.Append(values[i].ToString("R", CultureInfo.InvariantCulture)).Append(i % 4 == 3 ? '\n' : ',');
        }
        var matrix = FeatureReader.Read(_dir.WriteText("r.csv", text.ToString()));
        Assert.Equal((300, 4), (matrix.Rows, matrix.Cols));
        Assert.Equal(values, matrix.Double);
    }

    [Fact]
    public void ReadsGzipCompressedCsv()
    {
        string path = _dir.File("x.csv.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            gzip.Write(Encoding.UTF8.GetBytes("a,b\r\n1.5,-2\r\n3,4e-3\r\n"));
        var matrix = FeatureReader.Read(path);
        Assert.Equal((2, 2), (matrix.Rows, matrix.Cols));
        Assert.Equal(new double[] { 1.5, -2, 3, 4e-3 }, matrix.Double);
    }

    [Fact]
    public void CorruptGzipIsRejected()
    {
        var error = ReadFails("1,2\n3,4\n", "plain.csv.gz");
        Assert.Contains("not a valid gzip file", error.Message);
    }

    /// <summary>.NET's GZipStream ends a stream cut short without an error unless strict validation is on.</summary>
    [Theory]
    [InlineData(4)] // only the trailer's length field is missing: every row is there
    [InlineData(8)] // the whole trailer
    [InlineData(200)] // the last rows, the last one cut off mid-line
    public void TruncatedGzipIsAnErrorNamingTheFile(int cut)
    {
        string text = string.Concat(Enumerable.Range(0, 300).Select(i => $"{i},{2 * i}\n"));
        string path = _dir.WriteGzip("x.csv.gz", text, cut);
        var error = Assert.Throws<InputDataException>(() => FeatureReader.Read(path));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void RaggedRowNamesLineAndCounts()
    {
        var error = ReadFails("a,b,c\n1,2,3\n4,5\n");
        Assert.Contains("line 3: expected 3 columns, as in the header on line 1, but found 2", error.Message);
        error = ReadFails("1,2\n3,4,5\n");
        Assert.Contains("line 2: expected 2 columns, as in the first row on line 1, but found 3", error.Message);
    }

    [Fact]
    public void NonNumericCellNamesLineColumnAndText()
    {
        var error = ReadFails("a,b,c\n1,2,3\n4,five,6\n");
        Assert.Contains("line 3, column 2: 'five' is not a number", error.Message);
        error = ReadFails("1,2,3\n4,,6\n");
        Assert.Contains("line 2, column 2: an empty cell is not a number", error.Message);
        error = ReadFails("1,2\n3,1.000.0\n");
        Assert.Contains("line 2, column 2: '1.000.0' is not a number", error.Message);
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("-inf")]
    [InlineData("+INF")]
    [InlineData("Infinity")]
    [InlineData("1e999")]
    public void NonFiniteCellNamesLineColumnAndRow(string cell)
    {
        var error = ReadFails($"a,b,c\n1,2,3\n4,5,6\n7,8,{cell}\n");
        Assert.Contains($"line 4, column 3 (row 2, 0-based): found '{cell}'", error.Message);
        Assert.Contains("finite", error.Message);
    }

    [Fact]
    public void NonFiniteFirstLineIsDataNotAHeader()
    {
        var error = ReadFails("nan,1\n2,3\n");
        Assert.Contains("line 1, column 1 (row 0, 0-based): found 'nan'", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n")]
    public void EmptyFileIsRejected(string text) =>
        Assert.Contains("the file is empty", ReadFails(text).Message);

    [Fact]
    public void HeaderOnlyHasNoDataRows() =>
        Assert.Contains("no data rows: the file has only the header on line 2", ReadFails("\nx,y\n\n").Message);

    [Fact]
    public void BlankLineBetweenRowsIsRejected() =>
        Assert.Contains("line 3 is empty; blank lines are allowed only at the end", ReadFails("1,2\n3,4\n\n5,6\n").Message);

    [Fact]
    public void MissingFileIsAClearError()
    {
        string path = _dir.File("absent.csv");
        var error = Assert.Throws<InputDataException>(() => FeatureReader.Read(path));
        Assert.Equal($"{path}: file not found", error.Message);
        path = Path.Combine(_dir.Path, "no-such-dir", "x.npy");
        error = Assert.Throws<InputDataException>(() => FeatureReader.Read(path));
        Assert.StartsWith($"{path}: file not found", error.Message);
    }

    [Fact]
    public void UnknownExtensionNamesTheAllowedOnes()
    {
        var error = ReadFails("1,2\n", "x.tsv");
        Assert.Contains("unsupported file extension '.tsv'", error.Message);
        Assert.Contains(".npy, .csv or .csv.gz", error.Message);
    }
}
