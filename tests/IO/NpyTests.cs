using System.Buffers.Binary;
using GpuSpread.IO;
using Xunit;

namespace GpuSpread.Tests.IO;

public sealed class NpyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static InputDataException ReadFails(string path)
    {
        var error = Assert.Throws<InputDataException>(() => FeatureReader.Read(path));
        Assert.StartsWith(path + ": ", error.Message);
        return error;
    }

    [Theory]
    [InlineData(7, 3)]
    [InlineData(1, 1)]
    [InlineData(1, 5)]
    [InlineData(70_001, 1)] // more than one conversion buffer
    public void Float32RoundTripsAsSingle(int rows, int cols)
    {
        var random = new Random(rows * 31 + cols);
        var data = new float[rows * cols];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(random.NextDouble() * 2e6 - 1e6);
        string path = _dir.File("x.npy");
        NpyWriter.Write(path, data, rows, cols);

        var matrix = FeatureReader.Read(path);
        Assert.Equal((rows, cols), (matrix.Rows, matrix.Cols));
        Assert.Null(matrix.Double);
        Assert.Equal(data, matrix.Single);
    }

    [Theory]
    [InlineData(7, 3)]
    [InlineData(1, 1)]
    [InlineData(3, 70)]
    public void Float64RoundTripsAsDouble(int rows, int cols)
    {
        var random = new Random(rows * 17 + cols);
        var data = new double[rows * cols];
        for (int i = 0; i < data.Length; i++) data[i] = random.NextDouble() * Math.Pow(10, random.Next(-300, 300));
        string path = _dir.File("x.npy");
        NpyWriter.Write(path, data, rows, cols);

        var matrix = FeatureReader.Read(path);
        Assert.Equal((rows, cols), (matrix.Rows, matrix.Cols));
        Assert.Null(matrix.Single);
        Assert.Equal(data, matrix.Double);
    }

    [Fact]
    public void IntegerVectorsAreReadAsOneColumnOfDoubles()
    {
        var random = new Random(5);
        var ints = new int[70_000];
        for (int i = 0; i < ints.Length; i++) ints[i] = random.Next(int.MinValue, int.MaxValue);
        long[] longs = [long.MinValue / 2, -1, 0, 1L << 52];
        string intPath = _dir.File("i4.npy"), longPath = _dir.File("i8.npy");
        NpyWriter.Write(intPath, ints);
        NpyWriter.Write(longPath, longs);

        var fromInts = FeatureReader.Read(intPath);
        Assert.Equal((ints.Length, 1), (fromInts.Rows, fromInts.Cols));
        Assert.Equal(Array.ConvertAll(ints, v => (double)v), fromInts.Double);
        var fromLongs = FeatureReader.Read(longPath);
        Assert.Equal((4, 1), (fromLongs.Rows, fromLongs.Cols));
        Assert.Equal(Array.ConvertAll(longs, v => (double)v), fromLongs.Double);
    }

    [Fact]
    public void HeaderIsVersion1PaddedTo64BytesEndingInNewline()
    {
        string path = _dir.File("x.npy");
        NpyWriter.Write(path, new double[21], 7, 3);
        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        int dataOffset = 10 + headerLength;

        Assert.Equal((byte)1, bytes[6]);
        Assert.Equal(0, dataOffset % 64);
        Assert.Equal((byte)'\n', bytes[dataOffset - 1]);
        Assert.Equal(dataOffset + 21 * 8, bytes.Length);
        Assert.StartsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (7, 3), }",
            System.Text.Encoding.Latin1.GetString(bytes, 10, headerLength));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsVersion2And3Headers(int major)
    {
        string path = _dir.WriteBytes("v.npy", NpyBytes.Build(major, NpyBytes.Header("<f8", "(2, 3)"), NpyBytes.Doubles(1, 2, 3, 4, 5, 6)));
        var matrix = FeatureReader.Read(path);
        Assert.Equal((2, 3), (matrix.Rows, matrix.Cols));
        Assert.Equal(new double[] { 1.0, 2, 3, 4, 5, 6 }, matrix.Double);
    }

    [Fact]
    public void ReadsDoubleQuotesAndPython2LongShapes()
    {
        string header = "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2L, 1L)}";
        string path = _dir.WriteBytes("py2.npy", NpyBytes.Build(1, header, NpyBytes.Doubles(7, 8)));
        var matrix = FeatureReader.Read(path);
        Assert.Equal((2, 1), (matrix.Rows, matrix.Cols));
        Assert.Equal(new double[] { 7.0, 8 }, matrix.Double);
    }

    [Theory]
    [InlineData("|i1")]
    [InlineData("|u1")]
    [InlineData("<i4")]
    [InlineData("<i8")]
    [InlineData("<f4")]
    public void ReadsEachIntegerAndFloatDtype(string descr)
    {
        byte[] values = [1, 2, 3, 4];
        int size = int.Parse(descr[2..]);
        var data = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            if (descr[1] == 'f') BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * size), values[i]);
            else data[i * size] = values[i]; // little-endian: the low byte first
        }
        string path = _dir.WriteBytes("d.npy", NpyBytes.Build(1, NpyBytes.Header(descr, "(2, 2)"), data));
        var matrix = FeatureReader.Read(path);
        Assert.Equal((2, 2), (matrix.Rows, matrix.Cols));
        Assert.Equal([1.0, 2, 3, 4], matrix.AsDouble());
    }

    [Fact]
    public void FortranOrderIsRejectedWithTheFix()
    {
        string path = _dir.WriteBytes("f.npy", NpyBytes.Build(1, NpyBytes.Header("<f8", "(3, 2)", fortran: true), NpyBytes.Doubles(1, 2, 3, 4, 5, 6)));
        var error = ReadFails(path);
        Assert.Contains("Fortran", error.Message);
        Assert.Contains("(3, 2)", error.Message);
        Assert.Contains("np.ascontiguousarray", error.Message);
    }

    [Fact]
    public void FortranOrderOfASingleColumnIsTheSameLayout()
    {
        string path = _dir.WriteBytes("f.npy", NpyBytes.Build(1, NpyBytes.Header("<f8", "(3, 1)", fortran: true), NpyBytes.Doubles(1, 2, 3)));
        Assert.Equal(new double[] { 1.0, 2, 3 }, FeatureReader.Read(path).Double);
    }

    [Fact]
    public void BigEndianIsRejected()
    {
        string path = _dir.WriteBytes("be.npy", NpyBytes.Build(1, NpyBytes.Header(">f8", "(1, 1)"), new byte[8]));
        var error = ReadFails(path);
        Assert.Contains("big-endian", error.Message);
        Assert.Contains("'>f8'", error.Message);
        Assert.Contains("astype('<f8')", error.Message);
    }

    [Theory]
    [InlineData("<c16")]
    [InlineData("<U5")]
    [InlineData("<f2")]
    [InlineData("|b1")]
    public void UnsupportedDtypeNamesTheAllowedOnes(string descr)
    {
        string path = _dir.WriteBytes("t.npy", NpyBytes.Build(1, NpyBytes.Header(descr, "(1, 1)"), new byte[16]));
        var error = ReadFails(path);
        Assert.Contains($"unsupported dtype '{descr}'", error.Message);
        Assert.Contains("float32 ('<f4'), float64 ('<f8'), int32 ('<i4'), int64 ('<i8')", error.Message);
    }

    [Fact]
    public void ObjectArraysAreRejected()
    {
        string path = _dir.WriteBytes("o.npy", NpyBytes.Build(1, NpyBytes.Header("|O", "(2,)"), new byte[16]));
        Assert.Contains("object arrays", ReadFails(path).Message);
    }

    [Fact]
    public void StructuredArraysAreRejected()
    {
        string header = "{'descr': [('a', '<f8'), ('b', '<i4')], 'fortran_order': False, 'shape': (2,), }";
        string path = _dir.WriteBytes("s.npy", NpyBytes.Build(1, header, new byte[24]));
        Assert.Contains("structured arrays", ReadFails(path).Message);
    }

    [Fact]
    public void TruncatedDataSaysHowManyBytesAreMissing()
    {
        string path = _dir.File("t.npy");
        NpyWriter.Write(path, new double[21], 7, 3);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^8]);

        var error = ReadFails(path);
        Assert.Contains("truncated", error.Message);
        Assert.Contains("shape (7, 3) of dtype '<f8' needs 168 data bytes but only 160", error.Message);
    }

    [Fact]
    public void ExtraDataBytesAreRejected()
    {
        string path = _dir.WriteBytes("x.npy", NpyBytes.Build(1, NpyBytes.Header("<f8", "(2,)"), NpyBytes.Doubles(1, 2, 3)));
        Assert.Contains("needs 16 data bytes but 24 follow", ReadFails(path).Message);
    }

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        byte[] bytes = NpyBytes.Build(1, NpyBytes.Header("<f8", "(2,)"), NpyBytes.Doubles(1, 2));
        string path = _dir.WriteBytes("h.npy", bytes[..30]);
        Assert.Contains("truncated", ReadFails(path).Message);
        path = _dir.WriteBytes("short.npy", bytes[..7]);
        Assert.Contains("truncated", ReadFails(path).Message);
    }

    [Fact]
    public void BadMagicIsRejected()
    {
        string path = _dir.WriteText("csv-in-disguise.npy", "1,2,3\n4,5,6\n");
        Assert.Contains("not a NumPy .npy file", ReadFails(path).Message);
    }

    [Fact]
    public void UnknownVersionIsRejected()
    {
        byte[] bytes = NpyBytes.Build(2, NpyBytes.Header("<f8", "(1,)"), NpyBytes.Doubles(1));
        bytes[6] = 4;
        string path = _dir.WriteBytes("v4.npy", bytes);
        Assert.Contains("version 4.0; supported versions are 1.0, 2.0 and 3.0", ReadFails(path).Message);
    }

    [Fact]
    public void GarbledHeaderIsRejected()
    {
        string path = _dir.WriteBytes("g.npy", NpyBytes.Build(1, "{'descr': '<f8', 'shape': (1,)}", NpyBytes.Doubles(1)));
        Assert.Contains("invalid .npy header", ReadFails(path).Message);
    }

    [Fact]
    public void EmptyFileIsRejected()
    {
        string path = _dir.WriteBytes("e.npy", []);
        Assert.Contains("the file is empty", ReadFails(path).Message);
    }

    [Theory]
    [InlineData(0, 3, "no data rows: the array has shape (0, 3)")]
    [InlineData(4, 0, "no feature columns: the array has shape (4, 0)")]
    public void EmptyMatricesAreRejected(int rows, int cols, string message)
    {
        string path = _dir.File("z.npy");
        NpyWriter.Write(path, Array.Empty<float>(), rows, cols);
        Assert.Contains(message, ReadFails(path).Message);
    }

    [Theory]
    [InlineData("()")]
    [InlineData("(1, 1, 1)")]
    public void OnlyOneOrTwoDimensionsAreFeatures(string shape)
    {
        string path = _dir.WriteBytes("d.npy", NpyBytes.Build(1, NpyBytes.Header("<f8", shape), NpyBytes.Doubles(1)));
        Assert.Contains($"features must be a 1-D or 2-D array, got shape {shape}", ReadFails(path).Message);
    }

    [Fact]
    public void NaNInFloat32NamesRowAndColumn()
    {
        var data = new float[7 * 3];
        data[4 * 3 + 2] = float.NaN;
        string path = _dir.File("nan.npy");
        NpyWriter.Write(path, data, 7, 3);
        Assert.Contains("row 4, column 2 (0-based) is NaN", ReadFails(path).Message);
    }

    [Fact]
    public void InfinityInFloat64NamesRowAndColumn()
    {
        var data = new double[2 * 5];
        data[1 * 5 + 0] = double.NegativeInfinity;
        string path = _dir.File("inf.npy");
        NpyWriter.Write(path, data, 2, 5);
        Assert.Contains("row 1, column 0 (0-based) is -infinity", ReadFails(path).Message);
    }

    [Fact]
    public void WriterRejectsAShapeThatDoesNotMatchTheData()
    {
        Assert.Throws<ArgumentException>(() => NpyWriter.Write(_dir.File("x.npy"), new double[5], 2, 3));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }
}
