namespace GpuSpread;

/// <summary>How many of the scored rows an answer key confirms.</summary>
/// <param name="Correct">Scored rows whose prediction is the answer.</param>
/// <param name="Scored">Rows scored: those the labels leave unlabeled and the answer key knows.</param>
public readonly record struct AccuracyScore(int Correct, int Scored)
{
    /// <summary>Correct / Scored; null when no row was scored.</summary>
    public double? Accuracy => Scored == 0 ? null : (double)Correct / Scored;
}

/// <summary>
/// The one accuracy rule of every command and workflow: an answer key gives each row's true label, or -1 where it does
/// not know it; the rows scored are those the fit did not see labeled and the key knows.
/// </summary>
public static class AnswerKey
{
    /// <summary>Whether row <paramref name="row"/> is scored: unlabeled in <paramref name="labels"/>, known in <paramref name="answers"/>.</summary>
    public static bool IsScored(IReadOnlyList<long> labels, IReadOnlyList<long> answers, int row) =>
        labels[row] == LabelEncoding.Unlabeled && answers[row] != LabelEncoding.Unlabeled;

    /// <summary>The predictions on the rows left unlabeled, against the answer key.</summary>
    public static AccuracyScore OnUnlabeled(IReadOnlyList<long> predicted, IReadOnlyList<long> labels, IReadOnlyList<long> answers)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(answers);
        if (predicted.Count != labels.Count || answers.Count != labels.Count)
            throw new ArgumentException($"expected as many predictions ({predicted.Count}) and answers ({answers.Count}) as labels ({labels.Count})");
        int correct = 0, scored = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            if (!IsScored(labels, answers, i)) continue;
            scored++;
            if (predicted[i] == answers[i]) correct++;
        }
        return new AccuracyScore(correct, scored);
    }
}
