using System.Runtime.CompilerServices;

namespace GpuSpread.Tests.Graphs;

/// <summary>
/// Paths from the repository root (the directory holding GpuSpread.sln, found by walking up from the test
/// assembly), so that tests read files from the source tree and the shared data beside the checkout.
/// </summary>
public static class RepositoryPaths
{
    /// <summary>Overrides where the citation data sets are (default: ../shared/data from the repository root).</summary>
    public const string DataVariable = "GPUSPREAD_SHARED_DATA";

    private static readonly Lazy<string?> RootValue = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "GpuSpread.sln"))) return directory.FullName;
        return null;
    });

    /// <summary>The repository root, or null when the tests run outside a checkout.</summary>
    public static string? Root => RootValue.Value;

    public static string Require(params string[] parts) =>
        Path.Combine([Root ?? throw new InvalidOperationException($"GpuSpread.sln not found above {AppContext.BaseDirectory}"), .. parts]);

    /// <summary>The shared data directory: $GPUSPREAD_SHARED_DATA, else ../shared/data beside the repository.</summary>
    public static string? SharedData
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable(DataVariable);
            if (!string.IsNullOrWhiteSpace(overridden)) return Path.GetFullPath(overridden);
            return Root is null ? null : Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));
        }
    }

    /// <summary>The directory of one citation data set (cora, citeseer), or null when it is absent.</summary>
    public static string? Dataset(string name)
    {
        string? data = SharedData;
        if (data is null) return null;
        string path = Path.Combine(data, name);
        return File.Exists(Path.Combine(path, "labels.csv")) ? path : null;
    }
}

/// <summary>A fact that is skipped, with a message, when a citation data set is not in the shared data directory.</summary>
public sealed class CitationFactAttribute : FactAttribute
{
    public CitationFactAttribute(string dataset, [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (RepositoryPaths.Dataset(dataset) is null)
            Skip = $"the {dataset} data set is not at {RepositoryPaths.SharedData ?? "../shared/data"}/{dataset} (set {RepositoryPaths.DataVariable} to its parent directory)";
    }
}

/// <summary>A theory skipped, with a message, when a citation data set is absent.</summary>
public sealed class CitationTheoryAttribute : TheoryAttribute
{
    public CitationTheoryAttribute(string dataset, [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (RepositoryPaths.Dataset(dataset) is null)
            Skip = $"the {dataset} data set is not at {RepositoryPaths.SharedData ?? "../shared/data"}/{dataset} (set {RepositoryPaths.DataVariable} to its parent directory)";
    }
}
