namespace GpuSpread.Active;

/// <summary>A row picked for labeling, with what the model thinks of it.</summary>
/// <param name="Row">The 0-based row index in the data set.</param>
/// <param name="Entropy">The entropy of its label distribution (natural log); NaN for a row no label reached.</param>
/// <param name="Predicted">The model's label for it (the first class for a row no label reached).</param>
/// <param name="TopGuesses">The model's most probable classes, most probable first (empty when no label reached it).</param>
public sealed record PickedRow(int Row, double Entropy, long Predicted, IReadOnlyList<ClassProbability> TopGuesses);

/// <summary>What was done with a picked row: a label given, or skipped (the row stays unlabeled and is not asked again).</summary>
public readonly record struct Answer(int Row, long? Label)
{
    /// <summary>True when the row was skipped rather than labeled.</summary>
    public bool Skipped => Label is null;

    /// <summary>The answer that skips <paramref name="row"/>.</summary>
    public static Answer Skip(int row) => new(row, null);
}

/// <summary>
/// Where the answers of a session are recorded as they are given: the journal (<see cref="ActiveJournal"/>),
/// which must have them on disk before the method returns.
/// </summary>
public interface IAnswerLog
{
    /// <summary>Records the rows picked in round <paramref name="round"/>.</summary>
    void Picked(int round, IReadOnlyList<int> rows);
    /// <summary>Records an answer given in round <paramref name="round"/>.</summary>
    void Answered(int round, Answer answer);
    /// <summary>Records that the answer for <paramref name="row"/> in round <paramref name="round"/> was taken back.</summary>
    void Undone(int round, int row);
}

/// <summary>
/// One round's batch, handed to an <see cref="ILabelOracle"/>: the picked rows, and the answers so far. Each
/// answer goes to the log (journal) before <see cref="Label"/>, <see cref="Skip"/> or <see cref="Undo"/>
/// returns, so an oracle that shows the next row only afterwards never loses one.
/// </summary>
public sealed class LabelRequest
{
    private readonly List<Answer> _answers = [];
    private readonly IAnswerLog? _log;
    private readonly HashSet<int> _rows;

    internal LabelRequest(int round, int rounds, IReadOnlyList<PickedRow> rows, IReadOnlyList<long> classes, int labeled, int unlabeled, IAnswerLog? log)
    {
        Round = round;
        Rounds = rounds;
        Rows = rows;
        Classes = classes;
        LabeledCount = labeled;
        UnlabeledCount = unlabeled;
        _log = log;
        _rows = [.. rows.Select(r => r.Row)];
    }

    /// <summary>1-based round number.</summary>
    public int Round { get; }

    /// <summary>The number of rounds the session runs at most.</summary>
    public int Rounds { get; }

    /// <summary>The picked rows, most uncertain first.</summary>
    public IReadOnlyList<PickedRow> Rows { get; }

    /// <summary>The classes the model knew this round.</summary>
    public IReadOnlyList<long> Classes { get; }

    /// <summary>Rows labeled when this round's model was fitted.</summary>
    public int LabeledCount { get; }
    /// <summary>Rows not labeled then (skipped rows included).</summary>
    public int UnlabeledCount { get; }

    /// <summary>The answers in the order given (an undone answer is removed).</summary>
    public IReadOnlyList<Answer> Answers => _answers;

    /// <summary>The picked rows without an answer, in batch order.</summary>
    public IReadOnlyList<PickedRow> Pending => [.. Rows.Where(r => !IsAnswered(r.Row))];

    /// <summary>Whether <paramref name="row"/> (a row index in the data set) has an answer in this batch.</summary>
    public bool IsAnswered(int row) => _answers.Exists(a => a.Row == row);

    /// <summary>Records <paramref name="label"/> for a pending row of this batch (journaled before returning).</summary>
    public void Label(int row, long label)
    {
        if (label == LabelEncoding.Unlabeled)
            throw new ArgumentException($"-1 means unlabeled and cannot be given as a label (row {row})", nameof(label));
        Add(new Answer(row, label), log: true);
    }

    /// <summary>Skips a pending row: it stays unlabeled and is not picked again (journaled before returning).</summary>
    public void Skip(int row) => Add(Answer.Skip(row), log: true);

    /// <summary>Takes back the last answer of this batch (journaled before returning); null when there is none.</summary>
    public Answer? Undo()
    {
        if (_answers.Count == 0) return null;
        var last = _answers[^1];
        _log?.Undone(Round, last.Row);
        _answers.RemoveAt(_answers.Count - 1);
        return last;
    }

    /// <summary>Replays an answer read back from the journal (not logged again).</summary>
    internal void Restore(Answer answer) => Add(answer, log: false);

    /// <summary>Replays an undo read back from the journal (not logged again).</summary>
    internal void RestoreUndo(int row)
    {
        int index = _answers.FindLastIndex(a => a.Row == row);
        if (index >= 0) _answers.RemoveAt(index);
    }

    private void Add(Answer answer, bool log)
    {
        if (!_rows.Contains(answer.Row))
            throw new ArgumentException($"row {answer.Row} is not in round {Round}'s batch ({string.Join(", ", Rows.Select(r => r.Row))})", nameof(answer));
        if (IsAnswered(answer.Row))
            throw new InvalidOperationException($"row {answer.Row} is already answered in round {Round}; undo it first");
        if (log) _log?.Answered(Round, answer);
        _answers.Add(answer);
    }
}

/// <summary>
/// Where labels come from: an answer key (simulation), a person at the terminal, or a file a team fills in.
/// </summary>
public interface ILabelOracle
{
    /// <summary>
    /// Answers what it can of <paramref name="request"/>'s pending rows through <see cref="LabelRequest.Label"/>,
    /// <see cref="LabelRequest.Skip"/> and <see cref="LabelRequest.Undo"/>. Returns false to stop the session
    /// here (a person quit, or the labels must come back in a file); the answers given so far are kept, and the
    /// session can be resumed from the journal.
    /// </summary>
    bool Answer(LabelRequest request, CancellationToken cancellation);
}

/// <summary>Labels from an answer key: the simulation used to evaluate strategies.</summary>
public sealed class AnswerKeyOracle : ILabelOracle
{
    private readonly IReadOnlyList<long> _truth;

    /// <param name="truth">Every row's true label (-1 for a row the key does not know: it is skipped).</param>
    public AnswerKeyOracle(IReadOnlyList<long> truth)
    {
        ArgumentNullException.ThrowIfNull(truth);
        _truth = truth;
    }

    /// <summary>Labels every pending row from the key, skipping those it does not know; never stops the session.</summary>
    public bool Answer(LabelRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        foreach (var row in request.Pending)
        {
            long label = _truth[row.Row];
            if (label == LabelEncoding.Unlabeled) request.Skip(row.Row);
            else request.Label(row.Row, label);
        }
        return true;
    }
}
