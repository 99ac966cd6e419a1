namespace GpuSpread.Tests;

/// <summary>Runs the gpuspread command line in-process and captures what it prints.</summary>
public static class CliHarness
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = GpuSpread.Runner.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
