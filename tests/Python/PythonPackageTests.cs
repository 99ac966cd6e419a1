using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using GpuSpread.Tests.Graphs;

namespace GpuSpread.Tests.Python;

/// <summary>
/// The Python package (python/, docs/python.md) runs with the solution's tests, so that the README's one test command
/// covers it: its pytest suite (scikit-learn 1.2.1's own test file, check_estimator, the parity tests) against the
/// assemblies this build made, and the documented install command in a fresh virtual environment, offline. Both need
/// Debian's Python with scikit-learn, pytest and venv (.ci/run installs them); without them they fail, saying so.
/// The two run one after the other (one class): the install builds in python/.
/// </summary>
public partial class PythonPackageTests
{
    /// <summary>scikit-learn's own skips in its test file (knn in test_distribution); nothing else may be skipped.</summary>
    private const int ScikitLearnSkips = 4;

    private static string Python =>
        Environment.GetEnvironmentVariable("GPUSPREAD_PYTHON") is { Length: > 0 } python ? python
        : File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>src/Interop's build output in this build's configuration (the tests reference the project, so it is built).</summary>
    private static string InteropOutput
    {
        get
        {
            string configuration = typeof(PythonPackageTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            return RepositoryPaths.Require("src", "Interop", "bin", configuration, "net10.0");
        }
    }

    [Fact]
    public async Task ThePytestSuitePassesWithNoSkipsBeyondScikitLearns()
    {
        var (exitCode, output) = await Run(Python, ["-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", RepositoryPaths.Require("python", "tests")],
            new Dictionary<string, string>
            {
                ["SKLEARN_RUN_FLOAT32_TESTS"] = "1",
                ["GPUSPREAD_DOTNET_DIR"] = InteropOutput,
                ["PYTHONPATH"] = RepositoryPaths.Require("python"),
            }, TimeSpan.FromMinutes(8));
        Assert.True(exitCode == 0, $"pytest exited with {exitCode}{Hint(output)}:\n{Tail(output)}");
        var summary = Summary().Match(output);
        Assert.True(summary.Success, $"no pytest summary line in its output:\n{Tail(output)}");
        int skipped = summary.Groups["skipped"].Success ? int.Parse(summary.Groups["skipped"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        Assert.True(skipped == ScikitLearnSkips,
            $"{skipped} tests skipped; only scikit-learn's own {ScikitLearnSkips} may be (check_estimator's pandas check needs python3-pandas):\n{Tail(output)}");
    }

    [Fact]
    public async Task TheDocumentedInstallCommandWorksOfflineInAFreshVirtualEnvironment()
    {
        string work = Directory.CreateTempSubdirectory("gpuspread-venv-").FullName;
        try
        {
            string venv = Path.Combine(work, "venv");
            string dotnetFolder = Path.GetDirectoryName(Path.GetFullPath(Active.PseudoTerminal.DotnetPath())) ?? "";
            var environment = new Dictionary<string, string>
            {
                // The build step runs dotnet publish: the dotnet that runs these tests.
                ["PATH"] = $"{dotnetFolder}{Path.PathSeparator}{Environment.GetEnvironmentVariable("PATH")}",
                ["PIP_NO_INDEX"] = "1",
                ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1",
            };
            // docs/python.md's command, with the venv's path in place of .venv.
            var (exitCode, output) = await Run("/bin/sh",
                ["-c", $"{Python} -m venv --system-site-packages \"$0\" && \"$0/bin/pip\" install --no-build-isolation --no-index ./python", venv],
                environment, TimeSpan.FromMinutes(6));
            Assert.True(exitCode == 0, $"the install command exited with {exitCode}:\n{Tail(output)}");

            string program = "import gpuspread, numpy as np; m = gpuspread.LabelSpreading().fit(np.array([[1., 0], [0, 2], [1, 3]]), [0, 1, -1]); "
                + "print(gpuspread.__file__); print(m.transduction_.tolist(), m.predict([[0.5, 2.5]]).tolist())";
            (exitCode, output) = await Run(Path.Combine(venv, "bin", "python"), ["-c", program], new Dictionary<string, string>(), TimeSpan.FromMinutes(2), work);
            Assert.True(exitCode == 0, $"the installed package failed:\n{Tail(output)}");
            var lines = output.ReplaceLineEndings("\n").Trim().Split('\n');
            Assert.StartsWith(Path.Combine(venv, "lib"), lines[^2]);
            Assert.Equal("[0, 1, 1] [1]", lines[^1]);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Hint(string output) =>
        output.Contains("No module named", StringComparison.Ordinal)
            ? " (Debian: apt-get install python3-sklearn python3-pytest python3-venv python3-wheel python3-pandas; or set GPUSPREAD_PYTHON)"
            : "";

    private static string Tail(string output) => output.Length <= 12_000 ? output : "...\n" + output[^12_000..];

    private static async Task<(int ExitCode, string Output)> Run(string program, IEnumerable<string> arguments,
        Dictionary<string, string> environment, TimeSpan limit, string? directory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory ?? RepositoryPaths.Require(),
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran past {limit}:\n{Tail(await stdout + await stderr)}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"^=*\s*(?:(?<failed>\d+) failed, )?(?<passed>\d+) passed(?:, (?<skipped>\d+) skipped)?.* in [\d.]+s", RegexOptions.Multiline)]
    private static partial Regex Summary();
}
