namespace GpuSpread.Tests.Options;

/// <summary>A name table holds one name for each value of its enum: a missing or repeated value is refused.</summary>
public sealed class NameTableTests
{
    private enum Shade { Light, Dark, Grey }

    [Fact]
    public void A_full_table_names_each_value_both_ways()
    {
        var table = new NameTable<Shade>((Shade.Dark, "dark"), (Shade.Light, "light"), (Shade.Grey, "grey"));
        Assert.Equal(["dark", "light", "grey"], table.Names);
        Assert.Equal("light", table[Shade.Light]);
        Assert.Equal(Shade.Grey, table.Parse("grey", "--shade"));
        Assert.Equal("'dark', 'light' or 'grey'", table.Allowed);
    }

    [Fact]
    public void A_missing_value_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new NameTable<Shade>((Shade.Dark, "dark"), (Shade.Light, "light")));
        Assert.Contains("one name for each of its values", error.Message);
    }

    [Fact]
    public void A_repeated_value_is_refused_even_when_the_count_is_right()
    {
        var error = Assert.Throws<ArgumentException>(() => new NameTable<Shade>((Shade.Dark, "dark"), (Shade.Light, "light"), (Shade.Dark, "black")));
        Assert.Contains("one name for each of its values", error.Message);
    }

    [Fact]
    public void Every_table_of_the_options_is_whole()
    {
        // The static tables are built (and so checked) on first use.
        Assert.Equal(3, OptionNames.Model.Names.Count);
        Assert.Equal(3, OptionNames.KnnSearch.Names.Count);
        Assert.Equal(3, OptionNames.Input.Names.Count);
    }
}
