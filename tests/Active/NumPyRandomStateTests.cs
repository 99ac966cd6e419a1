using GpuSpread.Active;

namespace GpuSpread.Tests.Active;

/// <summary>The port of NumPy's legacy RandomState (MT19937, init_genrand seeding, legacy shuffle) against NumPy 1.24 itself.</summary>
public sealed class NumPyRandomStateTests
{
    [Fact]
    public void RawOutputsMatchNumPy()
    {
        var expected = ActiveFixtures.Load("numpy_permutation.json").GetProperty("raw_seed0").EnumerateArray().Select(e => e.GetUInt32()).ToArray();
        var random = new NumPyRandomState(0);
        Assert.Equal(1000, expected.Length);
        Assert.Equal(expected, expected.Select(_ => random.NextUInt32()).ToArray());
    }

    [Fact]
    public void ShuffleMatchesNumPyPermutations()
    {
        var cases = ActiveFixtures.Load("numpy_permutation.json").GetProperty("cases").EnumerateArray().ToList();
        Assert.Contains(cases, c => c.GetProperty("seed").GetUInt32() == 0 && c.GetProperty("n").GetInt32() == 1797);
        foreach (var c in cases)
        {
            uint seed = c.GetProperty("seed").GetUInt32();
            int n = c.GetProperty("n").GetInt32();
            int[] expected = [.. c.GetProperty("permutation").EnumerateArray().Select(e => e.GetInt32())];
            Assert.True(expected.SequenceEqual(NumPyRandomState.Permutation(seed, n)), $"RandomState({seed}).shuffle(arange({n})) differs");
        }
    }

    [Fact]
    public void TheDigitsSubsetIsTheExamples()
    {
        Assert.Equal(ActiveFixtures.DigitsSubset(), NumPyRandomState.Permutation(0, 1797)[..330]);
    }

    [Fact]
    public void IntervalStaysInRangeAndCoversIt()
    {
        var random = new NumPyRandomState(12345);
        var seen = new bool[6];
        for (int i = 0; i < 1000; i++)
        {
            ulong value = random.Interval(5);
            Assert.InRange(value, 0UL, 5UL);
            seen[value] = true;
        }
        Assert.All(seen, Assert.True);
        Assert.Equal(0UL, random.Interval(0));
        Assert.InRange(random.Interval(1UL << 40), 0UL, 1UL << 40);
    }
}
