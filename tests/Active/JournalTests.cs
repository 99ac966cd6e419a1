using System.Text;
using GpuSpread.Active;

namespace GpuSpread.Tests.Active;

public sealed class JournalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gpuspread-journal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly Dictionary<string, string> Fingerprint = new() { ["n"] = "5", ["batch"] = "2" };

    [Fact]
    public void RoundsAnswersAndUndosComeBack()
    {
        string path = Path.Combine(_directory, "journal.jsonl");
        using (var journal = ActiveJournal.Create(path, Fingerprint))
        {
            journal.Picked(1, [4, 2]);
            journal.Answered(1, new Answer(4, 7));
            journal.Answered(1, Answer.Skip(2));
            journal.Undone(1, 2);
            journal.Answered(1, new Answer(2, 3));
            journal.Picked(2, [0, 1]);
            journal.Answered(2, new Answer(1, -5));
        }
        var contents = ActiveJournal.Read(path);
        Assert.Equal(Fingerprint, contents.Fingerprint);
        Assert.False(contents.IncompleteLastLine);
        Assert.Equal(2, contents.Rounds.Count);
        Assert.Equal([4, 2], contents.Rounds[0].Picked);
        Assert.Equal([new Answer(4, 7), new Answer(2, 3)], contents.Rounds[0].Standing());
        Assert.Equal([new Answer(1, -5)], contents.Rounds[1].Standing());
        Assert.Equal(3, contents.AnswerCount);
        Assert.Empty(ActiveJournal.Compare(contents.Fingerprint, Fingerprint));
        Assert.Single(ActiveJournal.Compare(contents.Fingerprint, new Dictionary<string, string> { ["n"] = "5", ["batch"] = "3" }));
    }

    [Fact]
    public void ALineCutShortIsDroppedAndOverwrittenOnAppend()
    {
        string path = Path.Combine(_directory, "journal.jsonl");
        using (var journal = ActiveJournal.Create(path, Fingerprint))
        {
            journal.Picked(1, [4, 2]);
            journal.Answered(1, new Answer(4, 7));
        }
        File.AppendAllText(path, "{\"round\":1,\"row\":2,\"la"); // the process died while writing
        var contents = ActiveJournal.Read(path);
        Assert.True(contents.IncompleteLastLine);
        Assert.Equal([new Answer(4, 7)], contents.Rounds[0].Standing());

        using (var journal = ActiveJournal.Append(path, contents))
            journal.Answered(1, new Answer(2, 1));
        var again = ActiveJournal.Read(path);
        Assert.False(again.IncompleteLastLine);
        Assert.Equal([new Answer(4, 7), new Answer(2, 1)], again.Rounds[0].Standing());
    }

    [Fact]
    public void ProblemsNameTheFileAndLine()
    {
        string path = Path.Combine(_directory, "journal.jsonl");
        File.WriteAllText(path, "{\"gpuspread_journal\":1,\"fingerprint\":{}}\n{\"round\":1,\"picked\":[1]}\nnot json\n");
        var error = Assert.Throws<InputDataException>(() => ActiveJournal.Read(path));
        Assert.Contains($"{path}: line 3:", error.Message);

        File.WriteAllText(path, "{\"round\":1,\"picked\":[1]}\n");
        Assert.Contains("not a gpuspread active-learning journal", Assert.Throws<InputDataException>(() => ActiveJournal.Read(path)).Message);

        File.WriteAllText(path, "{\"gpuspread_journal\":1,\"fingerprint\":{}}\n{\"round\":1,\"row\":3,\"label\":2}\n");
        Assert.Contains("line 2: an answer for round 1, whose picks are not in the journal",
            Assert.Throws<InputDataException>(() => ActiveJournal.Read(path)).Message);

        Assert.Contains("does not exist", Assert.Throws<InputDataException>(() => ActiveJournal.Read(Path.Combine(_directory, "missing.jsonl"))).Message);
    }

    [Theory]
    [InlineData("{\"round\":1,\"row\":1,\"label\":\"x\"}", "\"label\"")]
    [InlineData("{\"round\":1,\"row\":1,\"label\":1.5}", "\"label\"")]
    [InlineData("{\"round\":1,\"row\":1,\"label\":1099511627776}", "-2147483648 to 2147483647")]
    [InlineData("{\"round\":1,\"row\":\"1\",\"label\":2}", "\"row\" is missing or not an integer")]
    [InlineData("{\"round\":\"1\",\"row\":1,\"label\":2}", "\"round\" is missing or not an integer")]
    [InlineData("{\"round\":1,\"undo\":\"x\"}", "\"undo\" is missing or not an integer")]
    [InlineData("{\"round\":1,\"undo\":null}", "\"undo\" is missing or not an integer")]
    public void AnEntryOfTheWrongTypeNamesTheFileAndLine(string entry, string what)
    {
        string path = Path.Combine(_directory, "journal.jsonl");
        File.WriteAllText(path, "{\"gpuspread_journal\":1,\"fingerprint\":{}}\n{\"round\":1,\"picked\":[1]}\n" + entry + "\n");
        var error = Assert.Throws<InputDataException>(() => ActiveJournal.Read(path));
        Assert.StartsWith($"{path}: line 3: ", error.Message);
        Assert.Contains(what, error.Message);
    }

    [Theory]
    [InlineData("{\"round\":1,\"picked\":[\"a\"]}", "line 2: \"picked\" holds \"a\"")]
    [InlineData("{\"round\":1,\"picked\":[1.5]}", "line 2: \"picked\" holds 1.5")]
    public void PicksOfTheWrongTypeNameTheFileAndLine(string entry, string what)
    {
        string path = Path.Combine(_directory, "journal.jsonl");
        File.WriteAllText(path, "{\"gpuspread_journal\":1,\"fingerprint\":{}}\n" + entry + "\n");
        Assert.Contains($"{path}: {what}", Assert.Throws<InputDataException>(() => ActiveJournal.Read(path)).Message);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1e10")]
    public void AJournalVersionThatIsNotAnIntegerIsUnsupported(string version)
    {
        string path = Path.Combine(_directory, "journal.jsonl");
        File.WriteAllText(path, $"{{\"gpuspread_journal\":{version},\"fingerprint\":{{}}}}\n");
        Assert.Contains($"{path}: line 1: journal version {version} is not supported", Assert.Throws<InputDataException>(() => ActiveJournal.Read(path)).Message);
    }

    [Fact]
    public void EveryEntryIsOnDiskWhenTheCallReturns()
    {
        string path = Path.Combine(_directory, "journal.jsonl");
        using var journal = ActiveJournal.Create(path, Fingerprint);
        journal.Picked(1, [0]);
        journal.Answered(1, new Answer(0, 1));
        // Read by another handle while the journal is still open: nothing is held in a buffer.
        string text;
        using (var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var stream = new StreamReader(reader, Encoding.UTF8))
            text = stream.ReadToEnd();
        Assert.EndsWith("{\"round\":1,\"row\":0,\"label\":1}\n", text);
    }
}
