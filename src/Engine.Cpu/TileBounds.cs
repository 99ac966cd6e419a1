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

    /// <summary>Per-thread buffers for <see cref="LowerBounds"/> and <see cref="NearestFirst"/>.</summary>
    public sealed class Scratch(int rows, int tiles, int centreColumns)
    {
        public readonly T[] CentreDistances = new T[DistanceKernel.QueryRowsPerStep * centreColumns];
        public readonly double[] LowerBounds = new double[(long)(rows + DistanceKernel.QueryRowsPerStep) * tiles];
        public readonly double[] TileKeys = new double[tiles];
        public readonly int[] TileOrder = new int[tiles];
    }

    public Scratch CreateScratch(int rows) => new(rows, Tiles, Centres.PaddedRows);

    /// <summary>
    /// <paramref name="scale"/> times the lower bound of the squared distance of each of <paramref name="count"/>
    /// query rows to each tile (rows x tiles), the micro-kernel giving the distances to the tile centres.
    /// </summary>
    public Span<double> LowerBounds(T[] queries, T[] queryNorms, int first, int count, double scale, Scratch scratch)
    {
        int stride = Centres.PaddedRows;
        var centreDistances = scratch.CentreDistances.AsSpan();
        var bounds = scratch.LowerBounds.AsSpan(0, count * Tiles);
        for (int group = 0; group < count; group += DistanceKernel.QueryRowsPerStep)
        {
            int rows = Math.Min(DistanceKernel.QueryRowsPerStep, count - group);
            DistanceKernel.SquaredDistances(queries, queryNorms, first + group, rows, Centres, 0, stride, centreDistances, stride);
            for (int r = 0; r < rows; r++)
                for (int tile = 0; tile < Tiles; tile++)
                    bounds[(group + r) * Tiles + tile] = ScaledLowerBound(double.CreateTruncating(centreDistances[r * stride + tile]), tile, scale);
        }
        return bounds;
    }

    /// <summary>The tiles in increasing order of their smallest lower bound over the rows.</summary>
    public int[] NearestFirst(ReadOnlySpan<double> lowerBounds, int count, Scratch scratch)
    {
        var keys = scratch.TileKeys;
        var order = scratch.TileOrder;
        for (int tile = 0; tile < Tiles; tile++)
        {
            double nearest = double.PositiveInfinity;
            for (int r = 0; r < count; r++) nearest = Math.Min(nearest, lowerBounds[r * Tiles + tile]);
            keys[tile] = nearest;
            order[tile] = tile;
        }
        Array.Sort(keys, order, 0, Tiles);
        return order;
    }

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
