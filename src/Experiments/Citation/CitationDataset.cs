using GpuSpread.Graphs;
using System.Globalization;
using GpuSpread.IO;

namespace GpuSpread.Experiments.Citation;

/// <summary>
/// A citation benchmark in the layout of the shared data (Planetoid's Cora and CiteSeer with Kipf and Welling's
/// standard split): <c>features.npy</c> (n x d) or <c>features_coo.csv</c> (a "# shape n d" line, a header, then
/// row,col,value), <c>labels.csv</c> (one class per node, -1 for unknown), <c>edges.csv</c> (source,target, each
/// undirected edge once) and <c>split.csv</c> (row,split with train, val or test; other nodes are unlabeled).
/// </summary>
public sealed record CitationDataset(string Name, FeatureMatrix Features, int[] Labels, SparseGraph Graph, int[] Train, int[] Validation, int[] Test)
{
    public int Nodes => Labels.Length;

    /// <summary>Classes 0..c-1: the largest label plus one.</summary>
    public int Classes => Labels.Max() + 1;

    /// <summary>The labels of the training rows only (-1 elsewhere): what every method is given.</summary>
    public int[] TrainingLabels()
    {
        var y = Enumerable.Repeat(-1, Nodes).ToArray();
        foreach (int i in Train) y[i] = Labels[i];
        return y;
    }

    public static CitationDataset Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new InputDataException($"{directory}: no such directory; expected a citation data set (labels.csv, edges.csv, split.csv, features)");
        string name = Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar));
        string labelsPath = Path.Combine(directory, "labels.csv");
        var labels = LabelReader.Read(labelsPath);
        string npy = Path.Combine(directory, "features.npy"), coo = Path.Combine(directory, "features_coo.csv");
        var features = File.Exists(npy) ? FeatureReader.Read(npy)
            : File.Exists(coo) ? CooFeatureReader.Read(coo)
            : throw new InputDataException($"{directory}: neither features.npy nor features_coo.csv is there");
        if (features.Rows != labels.Length)
            throw new InputDataException($"{labelsPath}: {labels.Length} labels for {features.Rows} feature rows; they must describe the same nodes");
        var (graph, _) = EdgeListReader.Read(Path.Combine(directory, "edges.csv"), labels.Length, symmetrise: true, nodesSource: $"the labels ({labelsPath})");
        var (train, validation, test) = ReadSplit(Path.Combine(directory, "split.csv"), labels);
        return new CitationDataset(name, features, labels, graph, train, validation, test);
    }

    private static (int[] Train, int[] Validation, int[] Test) ReadSplit(string path, int[] labels)
    {
        var parts = new Dictionary<string, List<int>> { ["train"] = [], ["val"] = [], ["test"] = [] };
        var seen = new HashSet<int>();
        int number = 0;
        foreach (string line in ReadLines(path))
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0 || (number == 1 && text.StartsWith("row", StringComparison.OrdinalIgnoreCase))) continue;
            var cells = text.Split(',');
            if (cells.Length != 2 || !int.TryParse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int row))
                throw new InputDataException($"{path}: line {number}: expected row,split with a 0-based row index, got '{text}'");
            if ((uint)row >= (uint)labels.Length)
                throw new InputDataException($"{path}: line {number}: row {row} is out of range 0..{labels.Length - 1}");
            string split = cells[1].Trim().ToLowerInvariant();
            if (!parts.TryGetValue(split, out var list))
                throw new InputDataException($"{path}: line {number}: split '{cells[1]}' is not train, val or test");
            if (!seen.Add(row)) throw new InputDataException($"{path}: line {number}: row {row} is listed twice");
            if (split == "train" && labels[row] < 0) throw new InputDataException($"{path}: line {number}: training row {row} has no label");
            list.Add(row);
        }
        if (parts["train"].Count == 0) throw new InputDataException($"{path}: no training rows");
        if (parts["test"].Count == 0)
            throw new InputDataException($"{path}: no test rows, so there is no test accuracy to report; mark at least one row test (row,test)");
        if (parts["test"].All(row => labels[row] < 0))
            throw new InputDataException($"{path}: no test row has a label (all {parts["test"].Count} are -1 in labels.csv), so there is no test accuracy to report");
        return ([.. parts["train"]], [.. parts["val"]], [.. parts["test"]]);
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputDataException($"{path}: cannot read the file: {e.Message}", e);
        }
    }
}

/// <summary>
/// A sparse feature matrix in coordinate form: a first line "# shape ROWS COLS", an optional header
/// (row,col,value), then one row,col,value per line with 0-based indices; absent entries are 0, repeated ones summed.
/// Read into a dense float32 <see cref="FeatureMatrix"/>.
/// </summary>
public static class CooFeatureReader
{
    public static FeatureMatrix Read(string path)
    {
        using var lines = new TextLines(path, InputFile.HasExtension(path, ".gz"));
        string? line = lines.Next();
        var shape = line?.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (shape is not { Length: 4 } || shape[0] != "#" || shape[1] != "shape"
            || !int.TryParse(shape[2], NumberStyles.None, CultureInfo.InvariantCulture, out int rows)
            || !int.TryParse(shape[3], NumberStyles.None, CultureInfo.InvariantCulture, out int cols) || rows < 1 || cols < 1)
            throw InputFile.Fail(path, "line 1: expected '# shape ROWS COLS' (coordinate-format features)");
        if ((long)rows * cols > Array.MaxLength) throw InputFile.Fail(path, $"line 1: a {rows} x {cols} dense matrix is too large");
        var data = new float[(long)rows * cols];
        Span<Range> cells = stackalloc Range[4];
        while ((line = lines.Next()) is not null)
        {
            var text = line.AsSpan().Trim();
            if (text.IsEmpty || text[0] == '#') continue;
            int count = text.Split(cells, ',');
            if (count != 3) throw InputFile.Fail(path, $"line {lines.LineNumber}: expected row,col,value, found {count} columns");
            bool rowOk = int.TryParse(text[cells[0]], NumberStyles.Integer, CultureInfo.InvariantCulture, out int row);
            if (!rowOk && lines.LineNumber == 2) continue; // the header
            if (!rowOk || !int.TryParse(text[cells[1]], NumberStyles.Integer, CultureInfo.InvariantCulture, out int col))
                throw InputFile.Fail(path, $"line {lines.LineNumber}: the row and column must be 0-based integers");
            if ((uint)row >= (uint)rows || (uint)col >= (uint)cols)
                throw InputFile.Fail(path, $"line {lines.LineNumber}: ({row}, {col}) is outside the {rows} x {cols} shape");
            if (!InputFile.TryParseNumber(text[cells[2]], out double value) || !double.IsFinite(value))
                throw InputFile.Fail(path, $"line {lines.LineNumber}: the value {InputFile.Quote(text[cells[2]])} is not a finite number");
            data[(long)row * cols + col] += (float)value;
        }
        return FeatureMatrix.FromSingle(data, rows, cols);
    }
}
