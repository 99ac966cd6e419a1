namespace GpuSpread.Active;

/// <summary>
/// NumPy's legacy <c>np.random.RandomState(seed)</c>, as far as <c>shuffle</c> needs it, so that a subset
/// chosen by a scikit-learn example (<c>rng = np.random.RandomState(0); rng.shuffle(indices)</c>) can be
/// chosen identically here. Checked against NumPy 1.24's own permutations (tests/fixtures/active).
/// <list type="bullet">
/// <item>The generator is MT19937 (Matsumoto and Nishimura, 1998). An integer seed goes through
/// <c>mt19937_seed</c>, which is the reference <c>init_genrand</c>: NumPy's <c>_legacy_seeding</c> uses
/// <c>init_by_array</c> only for array seeds.</item>
/// <item><c>shuffle</c> (the legacy <c>_shuffle_raw</c>) walks i from n - 1 down to 1 and swaps x[i] with
/// x[j], j = <c>random_interval(i)</c>: the smallest all-ones mask covering i, then 32-bit outputs
/// masked until one is at most i (rejection sampling; 64-bit outputs only above 2^32 - 1).</item>
/// </list>
/// </summary>
internal sealed class NumPyRandomState
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908b0df;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7fffffff;

    private readonly uint[] _state = new uint[N];
    private int _position;

    /// <summary>Seeds as <c>np.random.RandomState(seed)</c> does for an integer seed in [0, 2^32 - 1].</summary>
    public NumPyRandomState(uint seed)
    {
        _state[0] = seed;
        for (int i = 1; i < N; i++)
            _state[i] = unchecked(1812433253u * (_state[i - 1] ^ (_state[i - 1] >> 30)) + (uint)i);
        _position = N;
    }

    /// <summary>The next raw 32-bit output (NumPy's <c>random_raw</c> / <c>next_uint32</c>).</summary>
    public uint NextUInt32()
    {
        if (_position >= N) Generate();
        uint y = _state[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        return y;
    }

    /// <summary>Two 32-bit outputs as one 64-bit value, high word first (NumPy's <c>mt19937_next64</c>).</summary>
    public ulong NextUInt64() => ((ulong)NextUInt32() << 32) | NextUInt32();

    /// <summary>A uniform integer in [0, <paramref name="max"/>]: NumPy's <c>random_interval</c>.</summary>
    public ulong Interval(ulong max)
    {
        if (max == 0) return 0;
        ulong mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        ulong value;
        if (max <= uint.MaxValue)
            while ((value = NextUInt32() & mask) > max) { }
        else
            while ((value = NextUInt64() & mask) > max) { }
        return value;
    }

    /// <summary>Shuffles in place as the legacy <c>RandomState.shuffle</c> does a 1-D array.</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i >= 1; i--)
        {
            int j = (int)Interval((ulong)i);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary><c>x = np.arange(n); RandomState(seed).shuffle(x)</c>.</summary>
    public static int[] Permutation(uint seed, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var values = new int[n];
        for (int i = 0; i < n; i++) values[i] = i;
        new NumPyRandomState(seed).Shuffle<int>(values);
        return values;
    }

    private void Generate()
    {
        uint y;
        int k;
        for (k = 0; k < N - M; k++)
        {
            y = (_state[k] & UpperMask) | (_state[k + 1] & LowerMask);
            _state[k] = _state[k + M] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        }
        for (; k < N - 1; k++)
        {
            y = (_state[k] & UpperMask) | (_state[k + 1] & LowerMask);
            _state[k] = _state[k + (M - N)] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        }
        y = (_state[N - 1] & UpperMask) | (_state[0] & LowerMask);
        _state[N - 1] = _state[M - 1] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : MatrixA);
        _position = 0;
    }
}
