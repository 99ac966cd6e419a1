using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GpuSpread.Active;

/// <summary>
/// The journal of an active-learning session: a JSON-lines file that every pick and every answer is appended
/// to, and flushed to disk (<c>FileStream.Flush(true)</c>) before the call that wrote it returns. A session is
/// resumed by replaying it (<see cref="ActiveLearner"/> takes the rounds read by <see cref="Read"/>), so nothing
/// a person typed is lost to a crash, a kill, Ctrl-C or quitting.
/// <code>
/// {"gpuspread_journal":1,"fingerprint":{...}}       the session's data and settings
/// {"round":1,"picked":[250,64,217,124,40]}           the rows picked in round 1
/// {"round":1,"row":250,"label":5}                    an answer
/// {"round":1,"row":64,"skip":true}                   a skipped row
/// {"round":1,"undo":64}                              the last answer, for row 64, taken back
/// </code>
/// A last line cut short (the process died while writing it) is ignored; its answer had not been confirmed.
/// </summary>
public sealed class ActiveJournal : IAnswerLog, IDisposable
{
    private const string MagicKey = "gpuspread_journal";
    private readonly FileStream _stream;

    private ActiveJournal(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>Starts a new journal (replacing any file at <paramref name="path"/>) with the session's fingerprint.</summary>
    public static ActiveJournal Create(string path, IReadOnlyDictionary<string, string> fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 4096);
        var journal = new ActiveJournal(path, stream);
        journal.Write(json =>
        {
            json.WriteNumber(MagicKey, 1);
            json.WriteStartObject("fingerprint");
            foreach (var (key, value) in fingerprint.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteEndObject();
        });
        return journal;
    }

    /// <summary>
    /// Opens an existing journal to append to. A last line cut short is removed first, so that the next entry
    /// starts on a line of its own.
    /// </summary>
    public static ActiveJournal Append(string path, JournalContents contents)
    {
        ArgumentNullException.ThrowIfNull(contents);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, 4096);
        stream.SetLength(contents.ValidLength);
        stream.Seek(0, SeekOrigin.End);
        stream.Flush(flushToDisk: true);
        return new ActiveJournal(path, stream);
    }

    /// <summary>Appends the rows picked in round <paramref name="round"/>, on disk before it returns.</summary>
    /// <exception cref="IOException">the journal cannot be written.</exception>
    public void Picked(int round, IReadOnlyList<int> rows) => Write(json =>
    {
        json.WriteNumber("round", round);
        json.WriteStartArray("picked");
        foreach (int row in rows) json.WriteNumberValue(row);
        json.WriteEndArray();
    });

    /// <summary>Appends an answer of round <paramref name="round"/> (a label, or a skip), on disk before it returns.</summary>
    /// <exception cref="IOException">the journal cannot be written.</exception>
    public void Answered(int round, Answer answer) => Write(json =>
    {
        json.WriteNumber("round", round);
        json.WriteNumber("row", answer.Row);
        if (answer.Label is { } label) json.WriteNumber("label", label);
        else json.WriteBoolean("skip", true);
    });

    /// <summary>Appends that the answer for <paramref name="row"/> in round <paramref name="round"/> was taken back, on disk before it returns.</summary>
    /// <exception cref="IOException">the journal cannot be written.</exception>
    public void Undone(int round, int row) => Write(json =>
    {
        json.WriteNumber("round", round);
        json.WriteNumber("undo", row);
    });

    private void Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        _stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _stream.Flush(flushToDisk: true);
    }

    /// <summary>Closes the journal file; every entry is already on disk.</summary>
    public void Dispose() => _stream.Dispose();

    /// <summary>Reads a journal. Problems are <see cref="InputDataException"/>s naming the file and line.</summary>
    public static JournalContents Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new InputDataException($"{path}: no journal to resume from (the file does not exist); start without --resume");
        }
        var rounds = new SortedDictionary<int, JournalRound>();
        IReadOnlyDictionary<string, string>? fingerprint = null;
        int start = 0, lineNumber = 0;
        long validLength = 0;
        bool incomplete = false;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            lineNumber++;
            var line = new ReadOnlySpan<byte>(bytes, start, (end < 0 ? bytes.Length : end) - start);
            if (end < 0)
            {
                // The process stopped while writing this line: it was never confirmed, so it is dropped.
                incomplete = true;
                break;
            }
            start = end + 1;
            if (line.Trim((byte)' ').IsEmpty || line.SequenceEqual("\r"u8))
            {
                validLength = start;
                continue;
            }
            JsonElement entry;
            try
            {
                using var document = JsonDocument.Parse(line.ToArray());
                entry = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw Fail(path, lineNumber, $"not a JSON object ({e.Message}); the journal has one JSON object per line");
            }
            if (entry.ValueKind != JsonValueKind.Object) throw Fail(path, lineNumber, "not a JSON object; the journal has one JSON object per line");
            if (fingerprint is null)
            {
                if (!entry.TryGetProperty(MagicKey, out var version) || version.ValueKind != JsonValueKind.Number)
                    throw Fail(path, lineNumber, "this is not a gpuspread active-learning journal (its first line has no \"gpuspread_journal\" key)");
                if (!version.TryGetInt32(out int number) || number != 1) throw Fail(path, lineNumber, $"journal version {version.GetRawText()} is not supported (this program writes version 1)");
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                if (entry.TryGetProperty("fingerprint", out var object_) && object_.ValueKind == JsonValueKind.Object)
                    foreach (var property in object_.EnumerateObject()) values[property.Name] = property.Value.ToString();
                fingerprint = values;
            }
            else ReadEvent(path, lineNumber, entry, rounds);
            validLength = start;
        }
        if (fingerprint is null) throw new InputDataException($"{path}: the journal is empty; start without --resume");
        return new JournalContents(path, fingerprint, [.. rounds.Values], incomplete, validLength);
    }

    private static void ReadEvent(string path, int lineNumber, JsonElement entry, SortedDictionary<int, JournalRound> rounds)
    {
        int round = Integer(path, lineNumber, entry, "round");
        if (round < 1) throw Fail(path, lineNumber, $"round {round}: rounds are numbered from 1");
        if (entry.TryGetProperty("picked", out var picked))
        {
            if (picked.ValueKind != JsonValueKind.Array) throw Fail(path, lineNumber, "\"picked\" must be a list of row indices");
            if (rounds.ContainsKey(round)) throw Fail(path, lineNumber, $"round {round} is picked twice");
            if (rounds.Count > 0 && rounds.Keys.Max() != round - 1)
                throw Fail(path, lineNumber, $"round {round} follows round {rounds.Keys.Max()}; rounds must follow each other");
            if (rounds.Count == 0 && round != 1) throw Fail(path, lineNumber, $"the first round in the journal is {round}, not 1");
            rounds[round] = new JournalRound(round, [.. picked.EnumerateArray().Select(e => TryGetInt32(e, out int v) && v >= 0 ? v
                : throw Fail(path, lineNumber, $"\"picked\" holds {e.GetRawText()}; row indices are integers from 0"))], []);
            return;
        }
        if (!rounds.TryGetValue(round, out var current))
            throw Fail(path, lineNumber, $"an answer for round {round}, whose picks are not in the journal");
        if (entry.TryGetProperty("undo", out _))
        {
            current.Events.Add(new JournalEvent(lineNumber, Integer(path, lineNumber, entry, "undo"), null, Undo: true));
            return;
        }
        int row = Integer(path, lineNumber, entry, "row");
        if (entry.TryGetProperty("skip", out var skip) && skip.ValueKind == JsonValueKind.True)
        {
            current.Events.Add(new JournalEvent(lineNumber, row, null, Undo: false));
            return;
        }
        if (!entry.TryGetProperty("label", out var label) || label.ValueKind != JsonValueKind.Number || !label.TryGetInt64(out long value)
            || !LabelEncoding.IsClassLabel(value))
            throw Fail(path, lineNumber, $"an answer needs \"label\" ({LabelEncoding.ClassLabelText}) or \"skip\": true");
        current.Events.Add(new JournalEvent(lineNumber, row, value, Undo: false));
    }

    private static int Integer(string path, int lineNumber, JsonElement entry, string key)
    {
        if (!entry.TryGetProperty(key, out var value) || !TryGetInt32(value, out int result))
            throw Fail(path, lineNumber, $"\"{key}\" is missing or not an integer");
        return result;
    }

    // JsonElement.TryGetInt32 throws, rather than failing, on a string, null or any other non-number.
    private static bool TryGetInt32(JsonElement value, out int result)
    {
        result = 0;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out result);
    }

    private static InputDataException Fail(string path, int line, string message) =>
        new($"{path}: line {line.ToString(CultureInfo.InvariantCulture)}: {message}");

    /// <summary>The differences between a journal's fingerprint and this run's, one sentence each (empty: same session).</summary>
    public static IReadOnlyList<string> Compare(IReadOnlyDictionary<string, string> journal, IReadOnlyDictionary<string, string> current)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(current);
        var differences = new List<string>();
        foreach (string key in journal.Keys.Union(current.Keys).Order(StringComparer.Ordinal))
        {
            journal.TryGetValue(key, out string? was);
            current.TryGetValue(key, out string? now);
            if (was != now) differences.Add($"{key}: the journal has {was ?? "nothing"}, this run {now ?? "nothing"}");
        }
        return differences;
    }

    /// <summary>A stable fingerprint of a data set: SHA-256 of its values as float64, row-major, with the shape.</summary>
    public static string Hash(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.ASCII.GetBytes($"{features.Rows}x{features.Cols}:"));
        var buffer = new byte[8 * 4096];
        int count = 0;
        long length = (long)features.Rows * features.Cols;
        for (long i = 0; i < length; i++)
        {
            double value = features.Single is { } single ? single[i] : features.Double![i];
            BitConverter.TryWriteBytes(buffer.AsSpan(count * 8), value);
            if (++count == 4096)
            {
                hash.AppendData(buffer);
                count = 0;
            }
        }
        hash.AppendData(buffer, 0, count * 8);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>SHA-256 of a label vector, for the fingerprint.</summary>
    public static string Hash(IReadOnlyList<long> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var text = new StringBuilder();
        foreach (long label in labels) text.Append(label.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(text.ToString())));
    }
}

/// <summary>What a journal holds: its fingerprint and, per round, the picks and the answers in order.</summary>
/// <param name="IncompleteLastLine">The last line was cut short (the process died while writing it) and is ignored.</param>
/// <param name="ValidLength">Bytes up to the end of the last complete line.</param>
public sealed record JournalContents(string Path, IReadOnlyDictionary<string, string> Fingerprint, IReadOnlyList<JournalRound> Rounds,
    bool IncompleteLastLine, long ValidLength)
{
    /// <summary>The answers still standing after undos, over all rounds.</summary>
    public int AnswerCount => Rounds.Sum(r => r.Standing().Count);
}

/// <summary>One round as journaled: its picks and its answer and undo events in order.</summary>
public sealed record JournalRound(int Round, int[] Picked, List<JournalEvent> Events)
{
    /// <summary>The answers left after replaying the undos, in the order given.</summary>
    public List<Answer> Standing()
    {
        var answers = new List<Answer>();
        foreach (var e in Events)
        {
            if (e.Undo)
            {
                int index = answers.FindLastIndex(a => a.Row == e.Row);
                if (index >= 0) answers.RemoveAt(index);
            }
            else
            {
                answers.RemoveAll(a => a.Row == e.Row);
                answers.Add(new Answer(e.Row, e.Label));
            }
        }
        return answers;
    }
}

/// <summary>A journaled answer (a label, or a skip when <see cref="Label"/> is null) or an undo.</summary>
public sealed record JournalEvent(int Line, int Row, long? Label, bool Undo);
