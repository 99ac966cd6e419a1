namespace GpuSpread.Runner;

/// <summary>
/// The one error path of every command: bad arguments and bad input exit 2, anything else 1, each with a message on
/// stderr and without a stack trace (an unexpected exception is an internal error, reported as such).
/// </summary>
public static class CommandErrors
{
    /// <param name="cancelled">What a cancellation (Ctrl-C) leaves behind, in words (default: no output was written).</param>
    public static int Run(TextWriter stderr, Func<int> body, CancellationToken cancellation, Func<string>? cancelled = null)
    {
        try
        {
            return body();
        }
        catch (Exception error) when (error is InputDataException or InvalidParameterException or EngineCapabilityException)
        {
            stderr.WriteLine($"gpuspread: error: {error.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            stderr.WriteLine($"gpuspread: cancelled; {cancelled?.Invoke() ?? "no output was written"}.");
            return ExitCodes.Failure;
        }
        catch (Exception error) when (error is EngineUnavailableException or NotSupportedException or IOException
                                          or UnauthorizedAccessException or OutOfMemoryException)
        {
            stderr.WriteLine($"gpuspread: error: {error.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception error)
        {
            stderr.WriteLine($"gpuspread: internal error ({error.GetType().Name}): {error.Message}");
            stderr.WriteLine("Please report it with the command line that caused it.");
            return ExitCodes.Failure;
        }
    }
}
