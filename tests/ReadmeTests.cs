using System.Diagnostics;
using System.Text.RegularExpressions;
using GpuSpread.Tests.Graphs;

namespace GpuSpread.Tests;

/// <summary>The READMEs cannot go stale: their C# example (the repository's and the packages') is examples/QuickStart (built with
/// the solution) and runs; the links of the docs resolve.</summary>
public partial class ReadmeTests
{
    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/package-readme.md")]
    public void TheCSharpExampleIsTheQuickStartProgram(string readme)
    {
        var block = CSharpBlock().Match(File.ReadAllText(RepositoryPaths.Require(readme.Split('/'))));
        Assert.True(block.Success, $"{readme} has no ```csharp block");
        string program = File.ReadAllText(RepositoryPaths.Require("examples", "QuickStart", "Program.cs"));
        string code = program[program.IndexOf("using GpuSpread;", StringComparison.Ordinal)..];
        Assert.Equal(code.ReplaceLineEndings("\n").Trim(), block.Groups[1].Value.ReplaceLineEndings("\n").Trim());
    }

    [Fact]
    public async Task TheCSharpExampleRuns()
    {
        string program = Path.Combine(AppContext.BaseDirectory, "GpuSpread.QuickStart.dll");
        var start = new ProcessStartInfo(Active.PseudoTerminal.DotnetPath(), [program, RepositoryPaths.Require("examples", "digits")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, await stderr);
        // scikit-learn 1.2.1: LabelSpreading(gamma=0.25).fit(X, y) has n_iter_ 7 and score(X, y_true) 0.91541.
        Assert.Equal("n_iter 7; P(row 1 = digit 1) = 1.000\naccuracy 0.9154\n", (await stdout).ReplaceLineEndings("\n"));
        Assert.StartsWith("using the ", await stderr);
    }

    [Fact]
    public void EveryRelativeLinkResolves()
    {
        foreach (string file in Directory.EnumerateFiles(RepositoryPaths.Require("docs"), "*.md").Append(RepositoryPaths.Require("README.md")))
            foreach (Match link in MarkdownLink().Matches(File.ReadAllText(file)))
            {
                string target = link.Groups[1].Value.Split('#')[0];
                if (target.Length == 0 || target.Contains("://", StringComparison.Ordinal)) continue;
                string path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, target));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{file}: the link {target} leads nowhere");
            }
    }

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
