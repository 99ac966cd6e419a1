using System.Numerics;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// An order of the rows in which consecutive rows are close in space: a binary space partition whose nodes
/// are split at the widest gap of their projections on a principal direction (a few power iterations
/// started from the direction between two far points), leaves in tree order. Axis-aligned (k-d) splits cut through
/// clusters in 64 dimensions; principal directions follow them. Tiles of consecutive rows in this order are
/// compact, so a tile's centre and radius bound the distances to all its rows (<see cref="TileBounds{T}"/>).
/// </summary>
internal static class SpatialOrder
{
    /// <summary>Rows per leaf; leaves smaller than a tile keep tiles compact whatever the tile size.</summary>
    private const int LeafRows = 32;

    private const int PowerIterations = 3;

    /// <returns>order[p] = the original row at position p.</returns>
    public static int[] Compute(FeatureMatrix features) => features.Single is not null
        ? Compute(features.Single, features.Rows, features.Cols)
        : Compute(features.Double!, features.Rows, features.Cols);

    /// <summary>Works on the matrix as it is stored: no float64 copy of a float32 data set.</summary>
    private static int[] Compute<T>(T[] x, int n, int d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var order = Enumerable.Range(0, n).ToArray();
        Split(x, d, order, new double[n], 0, n);
        return order;
    }

    /// <summary>Orders rows [start, start + count) of <paramref name="order"/>; large halves in parallel.</summary>
    private static void Split<T>(T[] x, int d, int[] order, double[] keys, int start, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (count <= LeafRows) return;
        var rows = order.AsSpan(start, count);
        // The mean and the direction come from an evenly spaced sample: a few thousand rows fix them
        // as well as a million do, and the projections of all rows then cost one pass.
        var sample = Sample(rows);
        var mean = new double[d];
        var direction = new double[d];
        Mean(x, d, sample, mean);
        PrincipalDirection(x, d, sample, mean, direction, new double[d]);
        for (int p = 0; p < count; p++) keys[start + p] = Projection(x, d, rows[p], mean, direction);
        Array.Sort(keys, order, start, count);
        int split = WidestGap(keys.AsSpan(start, count));
        if (count >= ParallelRows)
            Parallel.Invoke(() => Split(x, d, order, keys, start, split), () => Split(x, d, order, keys, start + split, count - split));
        else
        {
            Split(x, d, order, keys, start, split);
            Split(x, d, order, keys, start + split, count - split);
        }
    }

    private const int SampleRows = 2048;
    private const int ParallelRows = 2048;

    private static int[] Sample(ReadOnlySpan<int> rows)
    {
        int size = Math.Min(rows.Length, SampleRows);
        var sample = new int[size];
        for (int s = 0; s < size; s++) sample[s] = rows[(int)((long)s * rows.Length / size)];
        return sample;
    }

    /// <summary>
    /// Where to split sorted projections: at the widest gap in the middle half, so that a split between two
    /// clusters falls between them rather than through one (the median would cut a cluster whenever the
    /// node holds an odd number of them); the tree stays balanced within a factor of three.
    /// </summary>
    private static int WidestGap(ReadOnlySpan<double> sorted)
    {
        int first = sorted.Length / 4, last = sorted.Length - sorted.Length / 4;
        int split = sorted.Length / 2;
        double widest = -1;
        for (int p = first; p < last; p++)
        {
            double gap = sorted[p] - sorted[p - 1];
            if (gap > widest)
            {
                widest = gap;
                split = p;
            }
        }
        return split;
    }

    private static void Mean<T>(T[] x, int d, ReadOnlySpan<int> rows, double[] mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Array.Clear(mean);
        foreach (int row in rows) AddScaled(mean, 1, x.AsSpan((int)((long)row * d), d));
        for (int k = 0; k < d; k++) mean[k] /= rows.Length;
    }

    private static double Projection<T>(T[] x, int d, int row, double[] mean, double[] direction)
        where T : unmanaged, IFloatingPointIeee754<T> => Dot(x.AsSpan((int)((long)row * d), d), direction) - Dot(mean, direction);

    /// <summary>Starts from a far point minus the point farthest from it, then power-iterates the scatter matrix.</summary>
    private static void PrincipalDirection<T>(T[] x, int d, ReadOnlySpan<int> rows, double[] mean, double[] direction, double[] next)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int a = Farthest(x, d, rows, mean);
        var pointA = new double[d];
        for (int k = 0; k < d; k++) pointA[k] = double.CreateTruncating(x[(long)a * d + k]);
        int b = Farthest(x, d, rows, pointA);
        for (int k = 0; k < d; k++) direction[k] = double.CreateTruncating(x[(long)b * d + k]) - pointA[k];
        for (int iteration = 0; iteration < PowerIterations; iteration++)
        {
            if (!Normalise(direction)) break;
            // sum_i ((x_i - mean) . u) (x_i - mean) = sum_i p_i x_i - (sum_i p_i) mean
            Array.Clear(next);
            double offset = Dot(mean, direction), projections = 0;
            foreach (int row in rows)
            {
                var values = x.AsSpan((int)((long)row * d), d);
                double projection = Dot(values, direction) - offset;
                projections += projection;
                AddScaled(next, projection, values);
            }
            for (int k = 0; k < d; k++) direction[k] = next[k] - projections * mean[k];
        }
        if (!Normalise(direction)) direction[0] = 1; // all rows equal: any order will do
    }

    private static int Farthest<T>(T[] x, int d, ReadOnlySpan<int> rows, double[] from)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // |x - f|^2 = |x|^2 - 2 x . f + |f|^2: the last term is the same for every row.
        int best = rows[0];
        double farthest = double.NegativeInfinity;
        foreach (int row in rows)
        {
            var values = x.AsSpan((int)((long)row * d), d);
            double squared = Dot(values, values) - 2 * Dot(values, from);
            if (squared > farthest)
            {
                farthest = squared;
                best = row;
            }
        }
        return best;
    }

    /// <summary>a . b in float64, four lanes at a time.</summary>
    private static double Dot<T, TOther>(ReadOnlySpan<T> a, ReadOnlySpan<TOther> b)
        where T : unmanaged, IFloatingPointIeee754<T> where TOther : unmanaged, IFloatingPointIeee754<TOther>
    {
        var sum = Vector256<double>.Zero;
        int k = 0;
        for (; k + 4 <= a.Length; k += 4)
            sum = Vector256.FusedMultiplyAdd(Simd.WidenFour(a[k..]), Simd.WidenFour(b[k..]), sum);
        double total = Vector256.Sum(sum);
        for (; k < a.Length; k++) total += double.CreateTruncating(a[k]) * double.CreateTruncating(b[k]);
        return total;
    }

    /// <summary>sums += scale * values in float64.</summary>
    private static void AddScaled<T>(double[] sums, double scale, ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var factor = Vector256.Create(scale);
        int k = 0;
        for (; k + 4 <= values.Length; k += 4)
            Vector256.FusedMultiplyAdd(factor, Simd.WidenFour(values[k..]), Vector256.Create(sums.AsSpan(k, 4))).CopyTo(sums.AsSpan(k, 4));
        for (; k < values.Length; k++) sums[k] += scale * double.CreateTruncating(values[k]);
    }

    private static bool Normalise(double[] vector)
    {
        double norm = Math.Sqrt(vector.Sum(v => v * v));
        if (!(norm > 0) || !double.IsFinite(norm)) return false;
        for (int k = 0; k < vector.Length; k++) vector[k] /= norm;
        return true;
    }
}
