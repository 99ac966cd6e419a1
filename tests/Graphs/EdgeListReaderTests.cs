using System.IO.Compression;
using GpuSpread.Graphs;
using GpuSpread.Tests.IO;

namespace GpuSpread.Tests.Graphs;

/// <summary>Edge lists: what is read, and errors that name the file and the line.</summary>
public sealed class EdgeListReaderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private (SparseGraph Graph, EdgeListStats Stats) Read(string text, int nodes = 5, bool symmetrise = true) =>
        EdgeListReader.Read(_directory.WriteText("edges.csv", text), nodes, symmetrise);

    private string Error(string text, int nodes = 5) =>
        Assert.Throws<InputDataException>(() => Read(text, nodes)).Message;

    [Fact]
    public void ReadsAHeaderWeightsAndSymmetrises()
    {
        var (graph, stats) = Read("source,target,weight\n0,1,2.5\n1,2,1\n\n3,4,0.5\n");
        Assert.Equal(3, stats.Lines);
        Assert.True(stats.Weighted);
        Assert.Equal(2.5, graph[0, 1]);
        Assert.Equal(2.5, graph[1, 0]);
        Assert.Equal(0.5, graph[4, 3]);
        Assert.Equal(0, graph[0, 2]);
        Assert.Equal(6, graph.Entries);
        Assert.True(graph.IsSymmetric());
        Assert.Equal(0, graph.IsolatedNodes());
    }

    [Fact]
    public void SumsDuplicatesDropsSelfLoopsAndTakesTheLargerDirection()
    {
        // 0->1 twice (summed to 2), 1->0 once: max(2, 1) = 2 both ways; 2->2 dropped; 3->2 weight 0 dropped.
        var (graph, stats) = Read("0,1,1\n0,1,1\n1,0,1\n2,2,1\n3,2,0\n", nodes: 5);
        Assert.Equal(2, graph[0, 1]);
        Assert.Equal(2, graph[1, 0]);
        Assert.Equal(0, graph[2, 2]);
        Assert.Equal(0, graph[3, 2]);
        Assert.Equal(1, stats.SelfLoops);
        Assert.Equal(1, stats.ZeroWeight);
        Assert.Equal(3, graph.IsolatedNodes()); // 2, 3 and 4
    }

    [Fact]
    public void AnUndirectedEdgeListedOnceOrTwiceGivesTheSameGraph()
    {
        var once = Read("0,1,3\n1,2,1\n").Graph;
        var twice = Read("0,1,3\n1,0,3\n1,2,1\n2,1,1\n").Graph;
        Assert.Equal(DenseGraphReference.Dense(once), DenseGraphReference.Dense(twice));
    }

    [Fact]
    public void KeepsDirectionsWhenAsked()
    {
        var (graph, _) = Read("0,1,3\n2,1,1\n", symmetrise: false);
        Assert.Equal(3, graph[0, 1]);
        Assert.Equal(0, graph[1, 0]);
        Assert.False(graph.IsSymmetric());
    }

    [Fact]
    public void ReadsWhitespaceSeparatedGzipAndTheNodeComment()
    {
        string path = _directory.File("edges.txt.gz");
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var writer = new StreamWriter(gzip))
            writer.Write("# nodes 5\n# a comment\n0\t1\n3  4 2\n");
        Assert.Throws<InputDataException>(() => EdgeListReader.Read(path, 5)); // ragged: 2 then 3 columns
        using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var writer = new StreamWriter(gzip))
            writer.Write("# nodes 5\n0\t1\n3  4\n");
        var (graph, _) = EdgeListReader.Read(path, 5);
        Assert.Equal(1, graph[1, 0]);
        Assert.Equal(1, graph[4, 3]);
    }

    [Theory]
    [InlineData("0,1\n1,5\n", "line 2", "target '5' is out of range")]
    [InlineData("source,target\n0,1\n-1,2\n", "line 3", "source '-1' is out of range")]
    [InlineData("0,1,1\n1,2,-0.5\n", "line 2", "negative")]
    [InlineData("0,1,nan\n", "line 1", "not finite")]
    [InlineData("0,1,inf\n", "line 1", "not finite")]
    [InlineData("0,1,heavy\n", "line 1", "not a number")]
    [InlineData("0,1.5\n", "line 1", "not an integer")]
    [InlineData("0,x\n", "line 1", "not a number")]
    [InlineData("0,1\n1,2,3\n", "line 2", "expected 2 columns")]
    [InlineData("0,1,2,3\n", "line 1", "found 4 columns")]
    [InlineData("# nodes 6\n0,1\n", "line 1", "declares 6 nodes")]
    public void ErrorsNameTheFileAndLine(string text, string line, string what)
    {
        string message = Error(text);
        Assert.StartsWith(_directory.File("edges.csv"), message);
        Assert.Contains(line + ":", message);
        Assert.Contains(what, message);
    }

    [Fact]
    public void AGraphLargerThanTheLabelsSaysSo()
    {
        string message = Error("0,1\n2,9\n", nodes: 5);
        Assert.Contains("the labels give 5 nodes, so indices must be 0..4", message);
        Assert.Contains("the graph and the labels must describe the same nodes", message);
    }

    [Fact]
    public void EmptyAndMissingFilesAreErrors()
    {
        Assert.Contains("holds no edge", Error("source,target\n\n"));
        var missing = Assert.Throws<InputDataException>(() => EdgeListReader.Read(_directory.File("absent.csv"), 5));
        Assert.Contains("absent.csv", missing.Message);
    }

    [Theory]
    [InlineData("0,0\n3,3\n", "2 edge lines: 2 self-loops")]
    [InlineData("0,1,0\n2,3,0.0\n", "2 edge lines: 2 of weight 0")]
    [InlineData("source,target,weight\n1,1,1\n2,3,0\n", "2 edge lines: 1 self-loop and 1 of weight 0")]
    public void AGraphWithoutAnEdgeBetweenTwoNodesIsAnError(string text, string why)
    {
        string message = Error(text);
        Assert.StartsWith(_directory.File("edges.csv") + ": ", message);
        Assert.Contains("no edge between two different nodes", message);
        Assert.Contains(why, message);
    }

    [Fact]
    public void ATruncatedGzipEdgeListIsAnError()
    {
        string path = _directory.WriteGzip("edges.csv.gz", string.Concat(Enumerable.Range(0, 200).Select(i => $"{i % 5},{(i + 1) % 5}\n")), cut: 4);
        var error = Assert.Throws<InputDataException>(() => EdgeListReader.Read(path, 5));
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void SparseGraphValidatesItsInputs()
    {
        Assert.Throws<ArgumentException>(() => SparseGraph.FromEdges(3, [0], [3], []));
        Assert.Throws<ArgumentException>(() => SparseGraph.FromEdges(3, [0], [1], [-1.0]));
        Assert.Throws<ArgumentException>(() => SparseGraph.FromEdges(3, [0], [1], [double.NaN]));
        var combined = SparseGraph.Combine(SparseGraph.FromEdges(3, [0], [1], []), 0.25, SparseGraph.FromEdges(3, [0, 1], [1, 2], [2.0, 4.0]), 0.5);
        Assert.Equal(1.25, combined[0, 1]);
        Assert.Equal(2.0, combined[2, 1]);
        var permuted = combined.Permuted([2, 0, 1]); // new 0 = old 2
        Assert.Equal(2.0, permuted[0, 2]);
        Assert.Equal(1.25, permuted[1, 2]);
    }
}
