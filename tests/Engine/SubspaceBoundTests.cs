using System.Numerics;
using GpuSpread.Engine.Cpu;
using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The exact knn search's subspace bound (<see cref="SubspaceBound{T}"/>) against float64 distances by direct
/// differences: it never rules out a tile that holds a pair nearer than the limit (on rows with outliers, duplicates and
/// values of every scale, in both precisions), and it does rule out the tiles it should where the rows lie near a
/// subspace.
/// </summary>
public class SubspaceBoundTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 203, 131, 10, 1.0, Precision.Float32)]
    [InlineData(2, 150, 160, 7, 1e-6, Precision.Float64)]
    [InlineData(3, 97, 128, 16, 1e5, Precision.Float32)]
    [InlineData(4, 121, 257, 9, 1.0, Precision.Float64)]
    public void NeverRulesOutATileHoldingANearerPair(int seed, int n, int d, int columnTile, double scale, Precision precision)
    {
        var x = TestData.Rounded(Rows(seed, n, d, scale, noise: 0.3), precision);
        var features = TestData.ToMatrix(x, precision);
        int wrong = precision == Precision.Float32
            ? Count<float>(features, x, columnTile, limitShare: 1, ruledOut: true)
            : Count<double>(features, x, columnTile, limitShare: 1, ruledOut: true);
        output.WriteLine($"seed {seed}, n {n}, d {d}, scale {scale}: {wrong} tiles ruled out that hold a pair at the limit");
        Assert.True(wrong == 0, $"seed {seed}: the bound ruled out {wrong} tiles that hold a pair at most the limit away");
    }

    [Theory]
    [InlineData(5, 203, 131, 10, Precision.Float32)]
    [InlineData(6, 150, 160, 7, Precision.Float64)]
    public void RulesOutTilesWhereTheRowsLieNearASubspace(int seed, int n, int d, int columnTile, Precision precision)
    {
        // Rows in a six-dimensional subspace, barely off it: the bound is nearly the distance itself, so a tile whose
        // nearest pair is a fifth beyond the limit must be ruled out.
        var x = TestData.Rounded(Rows(seed, n, d, 1, noise: 1e-4, outliers: false), precision);
        var features = TestData.ToMatrix(x, precision);
        int kept = precision == Precision.Float32
            ? Count<float>(features, x, columnTile, limitShare: 1 / 1.2, ruledOut: false)
            : Count<double>(features, x, columnTile, limitShare: 1 / 1.2, ruledOut: false);
        output.WriteLine($"seed {seed}: {kept} tiles kept that the bound should rule out");
        Assert.True(kept == 0, $"seed {seed}: {kept} tiles kept whose pairs are all a fifth beyond the limit");
    }

    /// <summary>
    /// Blobs in a random six-dimensional subspace of d, noise in all d, then (with outliers, and more than 13 rows) rows
    /// 10 and 11 far out along every axis, row 12 a copy of row 0, row 13 at the origin, all times <paramref name="scale"/>.
    /// </summary>
    internal static double[,] Rows(int seed, int n, int d, double scale, double noise, bool outliers = true)
    {
        const int rank = 6, blobs = 5;
        var random = new Random(seed);
        var directions = new double[rank, d];
        for (int r = 0; r < rank; r++)
            for (int k = 0; k < d; k++) directions[r, k] = TestData.Gaussian(random);
        var centres = new double[blobs, rank];
        for (int b = 0; b < blobs; b++)
            for (int r = 0; r < rank; r++) centres[b, r] = 3 * TestData.Gaussian(random);
        var x = new double[n, d];
        for (int i = 0; i < n; i++)
        {
            for (int r = 0; r < rank; r++)
            {
                double coordinate = centres[i % blobs, r] + TestData.Gaussian(random);
                for (int k = 0; k < d; k++) x[i, k] += coordinate * directions[r, k];
            }
            for (int k = 0; k < d; k++) x[i, k] += noise * TestData.Gaussian(random);
        }
        if (outliers && n > 13)
        {
            for (int k = 0; k < d; k++)
            {
                x[10, k] = 200 * (k % 2 == 0 ? 1 : -1);
                x[11, k] = 200 * (k % 3 == 0 ? 1 : -1);
                x[12, k] = x[0, k];
                x[13, k] = 0;
            }
        }
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++) x[i, k] *= scale;
        return x;
    }

    /// <summary>
    /// Over every group of query rows and every tile, with each row's limit <paramref name="limitShare"/> times its
    /// nearest float64 distance in the tile: the tiles the bound rules out (<paramref name="ruledOut"/>; with a share of 1
    /// each is wrong) or the tiles it keeps (otherwise; rows with a zero distance in the tile are left out).
    /// </summary>
    private static int Count<T>(FeatureMatrix features, double[,] x, int columnTile, double limitShare, bool ruledOut)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var columns = KnnSearchTests.Columns<T>(features, columnTile);
        var subspace = columns.Subspace!;
        var packed = columns.Packed;
        int n = packed.Rows, tileColumns = columns.Bounds.TileColumns, step = DistanceKernel.QueryRowsPerStep;
        var limits = new T[step];
        var scratch = new T[step * tileColumns];
        int count = 0;
        for (int first = 0; first < n; first += step)
        {
            int rows = Math.Min(step, n - first);
            for (int start = 0; start < n; start += tileColumns)
            {
                int real = Math.Min(tileColumns, n - start);
                bool zero = false;
                for (int r = 0; r < rows; r++)
                {
                    double nearest = double.PositiveInfinity;
                    for (int j = start; j < start + real; j++)
                        nearest = Math.Min(nearest, DenseReference.SquaredDistance(x, columns.Order[first + r], x, columns.Order[j]));
                    zero |= nearest == 0;
                    limits[r] = T.CreateTruncating(limitShare * nearest);
                }
                bool result = subspace.AllFartherThan(subspace.Training, packed.Norms, first, rows, packed, start, real, tileColumns, limits, scratch);
                if (ruledOut ? result : !result && !zero) count++;
            }
        }
        return count;
    }
}
