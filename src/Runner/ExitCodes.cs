namespace GpuSpread.Runner;

/// <summary>The program's documented exit codes.</summary>
public static class ExitCodes
{
    /// <summary>The job ran (a fit that did not converge is a warning, not a failure).</summary>
    public const int Success = 0;

    /// <summary>Any other failure: a device that cannot run, an I/O error writing results, cancellation.</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments or bad input data.</summary>
    public const int BadInput = 2;
}
