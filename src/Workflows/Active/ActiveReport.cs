using System.Globalization;
using System.Text;
using System.Text.Json;
using GpuSpread.IO;

namespace GpuSpread.Active;

/// <summary>
/// The reports of an active-learning session: a text block per round, laid out like the output of
/// scikit-learn's digits active-learning example, and report.json with every round.
/// </summary>
public static class ActiveReport
{
    /// <summary>
    /// A round as text: the numbers of labeled and unlabeled rows; with an answer key, the classification
    /// report and confusion matrix on the unlabeled rows; the picked rows with entropy, predicted and true labels
    /// (not the true labels when <paramref name="showTruth"/> is false: a person is about to label those rows).
    /// </summary>
    public static string FormatRound(RoundResult round, int rounds, DiffusionModel model, IReadOnlyList<long>? truth, bool showTruth = true)
    {
        ArgumentNullException.ThrowIfNull(round);
        var text = new StringBuilder();
        string heading = $"Round {round.Round} of {rounds} ";
        text.Append(heading).Append(new string('_', Math.Max(10, 80 - heading.Length))).Append('\n');
        string name = model switch
        {
            DiffusionModel.Spreading => "Label Spreading",
            DiffusionModel.Propagation => "Label Propagation",
            _ => "Poisson learning",
        };
        text.Append(CultureInfo.InvariantCulture, $"{name} model: {round.LabeledCount} labeled & {round.UnlabeledCount} unlabeled ({round.LabeledCount + round.UnlabeledCount} total)\n");
        if (round.Report is { } report)
        {
            text.Append(report.Format());
            text.Append('\n');
            text.Append("Confusion matrix (rows: true label, columns: predicted label; labels ")
                .Append(string.Join(' ', report.Labels.Select(l => l.ToString(CultureInfo.InvariantCulture)))).Append(")\n");
            text.Append(report.FormatConfusionMatrix()).Append('\n');
        }
        else text.Append("No answer key (--truth): no accuracy to report.\n");

        if (round.Picked.Count == 0) return text.ToString();
        text.Append("Picked for labeling, most uncertain first:\n");
        bool known = truth is not null && showTruth;
        text.Append(CultureInfo.InvariantCulture, $"{"row",8} {"entropy",9} {"predicted",10}{(known ? $" {"true",6}" : "")}  top guesses\n");
        foreach (var row in round.Picked)
        {
            string entropy = double.IsNaN(row.Entropy) ? "unreached" : row.Entropy.ToString("F4", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"{row.Row,8} {entropy,9} {row.Predicted,10}");
            if (known) text.Append(' ').Append(Label(truth![row.Row]).PadLeft(6));
            text.Append("  ").Append(Guesses(row.TopGuesses)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>"9 (41.2%), 5 (30.1%)", or "no label reached this row".</summary>
    public static string Guesses(IReadOnlyList<ClassProbability> guesses)
    {
        ArgumentNullException.ThrowIfNull(guesses);
        return guesses.Count == 0
            ? "no label reached this row"
            : string.Join(", ", guesses.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Label} ({100 * g.Probability:F1}%)")));
    }

    private static string Label(long label) => label == LabelEncoding.Unlabeled ? "?" : label.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes report.json (atomically): <c>settings</c>, a <c>rounds</c> list whose items hold <c>round</c>,
    /// <c>n_labeled</c>, <c>n_unlabeled</c>, <c>accuracy</c> (on the rows still unlabeled that round; null without an
    /// answer key), <c>picked</c> (row indices) and the details, then <c>final</c> and <c>stop</c>.
    /// </summary>
    public static void WriteJson(string path, IReadOnlyList<RoundResult> rounds, FinalFit? final, ActiveStop? stop,
        IReadOnlyList<long>? truth, IReadOnlyDictionary<string, object?> settings)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        ArgumentNullException.ThrowIfNull(settings);
        AtomicFile.WriteBytes(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteStartObject("settings");
            foreach (var (key, value) in settings) WriteValue(json, key, value);
            json.WriteEndObject();
            json.WriteStartArray("rounds");
            foreach (var round in rounds) WriteRound(json, round, truth);
            json.WriteEndArray();
            if (final is not null)
            {
                json.WriteStartObject("final");
                json.WriteNumber("n_labeled", final.LabeledCount);
                json.WriteNumber("n_unlabeled", final.Labels.Length - final.LabeledCount);
                WriteNullable(json, "accuracy", final.Accuracy);
                WriteLongs(json, "classes", final.Classes);
                json.WriteNumber("n_iter", final.NIter);
                json.WriteBoolean("converged", final.Converged);
                json.WriteNumber("seconds", Math.Round(final.Seconds, 4));
                json.WriteEndObject();
            }
            if (stop is { } reason) json.WriteString("stop", WorkflowNames.ActiveStop[reason]);
            json.WriteEndObject();
        });
    }

    private static void WriteRound(Utf8JsonWriter json, RoundResult round, IReadOnlyList<long>? truth)
    {
        json.WriteStartObject();
        json.WriteNumber("round", round.Round);
        json.WriteNumber("n_labeled", round.LabeledCount);
        json.WriteNumber("n_unlabeled", round.UnlabeledCount);
        WriteNullable(json, "accuracy", round.Accuracy);
        json.WriteStartArray("picked");
        foreach (var row in round.Picked) json.WriteNumberValue(row.Row);
        json.WriteEndArray();
        WriteLongs(json, "classes", round.Classes);
        json.WriteNumber("n_iter", round.NIter);
        json.WriteBoolean("converged", round.Converged);
        json.WriteNumber("seconds", Math.Round(round.Seconds, 6));
        json.WriteNumber("graph_seconds", Math.Round(round.GraphSeconds, 6));
        json.WriteNumber("diffuse_seconds", Math.Round(round.DiffuseSeconds, 6));
        json.WriteNumber("pick_seconds", Math.Round(round.PickSeconds, 6));

        json.WriteStartArray("picked_rows");
        foreach (var row in round.Picked)
        {
            json.WriteStartObject();
            json.WriteNumber("row", row.Row);
            WriteNullable(json, "entropy", double.IsNaN(row.Entropy) ? null : row.Entropy);
            json.WriteNumber("predicted", row.Predicted);
            if (truth is not null)
            {
                if (truth[row.Row] == LabelEncoding.Unlabeled) json.WriteNull("true");
                else json.WriteNumber("true", truth[row.Row]);
            }
            int index = -1;
            for (int a = 0; a < round.Answers.Count; a++)
                if (round.Answers[a].Row == row.Row) index = a;
            if (index < 0)
            {
                json.WriteNull("answer");
                json.WriteBoolean("pending", true);
            }
            else if (round.Answers[index].Label is { } label) json.WriteNumber("answer", label);
            else
            {
                json.WriteNull("answer");
                json.WriteBoolean("skipped", true);
            }
            json.WriteStartArray("top_guesses");
            foreach (var guess in row.TopGuesses)
            {
                json.WriteStartObject();
                json.WriteNumber("label", guess.Label);
                json.WriteNumber("probability", guess.Probability);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();

        if (round.Report is { } report)
        {
            json.WriteStartObject("classification_report");
            WriteLongs(json, "labels", report.Labels);
            WriteDoubles(json, "precision", report.Precision);
            WriteDoubles(json, "recall", report.Recall);
            WriteDoubles(json, "f1_score", report.F1);
            WriteLongs(json, "support", report.Support);
            json.WriteNumber("accuracy", report.Accuracy);
            foreach (var (name, p, r, f) in new[]
            {
                ("macro_avg", report.MacroPrecision, report.MacroRecall, report.MacroF1),
                ("weighted_avg", report.WeightedPrecision, report.WeightedRecall, report.WeightedF1),
            })
            {
                json.WriteStartObject(name);
                json.WriteNumber("precision", p);
                json.WriteNumber("recall", r);
                json.WriteNumber("f1_score", f);
                json.WriteNumber("support", report.Total);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteStartObject("confusion_matrix");
            WriteLongs(json, "labels", report.Labels);
            json.WriteStartArray("matrix");
            for (int t = 0; t < report.Labels.Length; t++)
            {
                json.WriteStartArray();
                for (int p = 0; p < report.Labels.Length; p++) json.WriteNumberValue(report.Confusion[t, p]);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter json, string key, double? value)
    {
        if (value is { } v) json.WriteNumber(key, v);
        else json.WriteNull(key);
    }

    private static void WriteLongs(Utf8JsonWriter json, string key, IEnumerable<long> values)
    {
        json.WriteStartArray(key);
        foreach (long value in values) json.WriteNumberValue(value);
        json.WriteEndArray();
    }

    private static void WriteDoubles(Utf8JsonWriter json, string key, IEnumerable<double> values)
    {
        json.WriteStartArray(key);
        foreach (double value in values) json.WriteNumberValue(value);
        json.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null: json.WriteNull(key); break;
            case bool b: json.WriteBoolean(key, b); break;
            case int i: json.WriteNumber(key, i); break;
            case long l: json.WriteNumber(key, l); break;
            case double d: json.WriteNumber(key, d); break;
            case string s: json.WriteString(key, s); break;
            case IEnumerable<long> list: WriteLongs(json, key, list); break;
            case IEnumerable<int> list: WriteLongs(json, key, list.Select(v => (long)v)); break;
            default: json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }
}
