using System.Text.Json;

namespace GpuSpread.Tests.Active;

/// <summary>The reference outputs written by tests/fixtures/active/make_active_fixtures.py (scikit-learn 1.2.1, NumPy 1.24).</summary>
public static class ActiveFixtures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures", "active");

    public static JsonElement Load(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, name)));
        return document.RootElement.Clone();
    }

    /// <summary>One round of scikit-learn's digits active-learning example (most-uncertain picking).</summary>
    public sealed record SklearnRound(int Round, int NLabeled, int NUnlabeled, long[] Classes, int NIter, double Accuracy, int[] Picked,
        double?[] PickedEntropy, long[] PickedPredicted, long[] PickedTrue, string Report, string ConfusionMatrix);

    public static IReadOnlyList<SklearnRound> DigitsRounds()
    {
        var root = Load("digits_active_sklearn.json");
        return [.. root.GetProperty("rounds").EnumerateArray().Select(r => new SklearnRound(
            r.GetProperty("round").GetInt32(),
            r.GetProperty("n_labeled").GetInt32(),
            r.GetProperty("n_unlabeled").GetInt32(),
            [.. r.GetProperty("classes").EnumerateArray().Select(e => e.GetInt64())],
            r.GetProperty("n_iter").GetInt32(),
            r.GetProperty("accuracy").GetDouble(),
            [.. r.GetProperty("picked").EnumerateArray().Select(e => e.GetInt32())],
            [.. r.GetProperty("picked_entropy").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (double?)null : e.GetDouble())],
            [.. r.GetProperty("picked_predicted").EnumerateArray().Select(e => e.GetInt64())],
            [.. r.GetProperty("picked_true").EnumerateArray().Select(e => e.GetInt64())],
            r.GetProperty("classification_report").GetString()!,
            r.GetProperty("confusion_matrix").GetProperty("printed").GetString()!))];
    }

    /// <summary>The 330 digits of the example as indices into the 1797 (NumPy's own shuffle).</summary>
    public static int[] DigitsSubset() =>
        [.. Load("digits_active_sklearn.json").GetProperty("subset_indices").EnumerateArray().Select(e => e.GetInt32())];
}
