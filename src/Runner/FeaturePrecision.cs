namespace GpuSpread.Runner;

/// <summary>
/// How the commands report the precision of a fit's distances: a switch from float32 to float64 is a warning, and
/// features that no precision computes right are an input error naming the data file.
/// </summary>
internal static class FeaturePrecision
{
    /// <summary>Runs <paramref name="fit"/>, adding <paramref name="dataPath"/> to a <see cref="FeatureRangeException"/>'s message.</summary>
    public static T NamingDataFile<T>(string? dataPath, Func<T> fit)
    {
        try
        {
            return fit();
        }
        catch (FeatureRangeException error) when (dataPath is not null)
        {
            throw new InputDataException($"{dataPath}: {error.Message}", error);
        }
    }

    public static void Warn(TextWriter stderr, string? dataPath, string? escalation)
    {
        if (escalation is not null) stderr.WriteLine($"gpuspread: warning: {dataPath ?? "the features"}: {escalation}.");
    }
}
