using System.Numerics;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// The centre and radius of every column tile, to bound from below the distances of a row to all of a
/// tile's columns: r_ij &gt;= (|x_i - c_J| - R_J)^2 for j in J. With rows in <see cref="SpatialOrder"/>
/// tiles are compact and the bound prunes most far tiles without computing a single distance.
/// The centres are packed like training rows, so the distance micro-kernel gives |x_i - c_J|^2.
/// </summary>
internal sealed class TileBounds<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public TileBounds(PackedRows<T> columns, int tileColumns)
    {
        TileColumns = tileColumns;
        int d = columns.Dims;
        Tiles = (columns.PaddedRows + tileColumns - 1) / tileColumns;
        var centres = new double[Tiles * d];
        Radii = new double[Tiles];
        for (int tile = 0; tile < Tiles; tile++)
        {
            int first = tile * tileColumns, end = Math.Min(columns.Rows, first + tileColumns);
            if (end <= first) continue;
            var centre = centres.AsSpan(tile * d, d);
            for (int j = first; j < end; j++)
                for (int k = 0; k < d; k++) centre[k] += double.CreateTruncating(columns.RowMajor[(long)j * d + k]);
            for (int k = 0; k < d; k++) centre[k] /= end - first;
            double radius = 0;
            for (int j = first; j < end; j++)
            {
                double squared = 0;
                for (int k = 0; k < d; k++)
                {
                    double difference = double.CreateTruncating(columns.RowMajor[(long)j * d + k]) - centre[k];
                    squared += difference * difference;
                }
                radius = Math.Max(radius, squared);
            }
            Radii[tile] = Math.Sqrt(radius);
        }
        Centres = new PackedRows<T>(FeatureMatrix.FromDouble(centres, Tiles, d), new double[d]);
    }

    public int TileColumns { get; }
    public int Tiles { get; }
    public double[] Radii { get; }

    /// <summary>The tile centres as a packed column set (their padded columns are zero rows).</summary>
    public PackedRows<T> Centres { get; }

    /// <summary>
    /// gamma times the lower bound of r_ij over the tile, from |x_i - c_J|^2. The 0.1% slack covers the
    /// float32 rounding of the centre distance; the pruning margin covers everything else.
    /// </summary>
    public double ScaledLowerBound(double squaredCentreDistance, int tile, double gamma)
    {
        double distance = Math.Sqrt(squaredCentreDistance);
        double gap = distance - Radii[tile] - 1e-3 * (distance + Radii[tile]);
        return gap > 0 ? gamma * gap * gap : 0;
    }
}
