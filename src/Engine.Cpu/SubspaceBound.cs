using System.Numerics;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// A lower bound on every pair's squared distance that costs <see cref="PrincipalCoordinates.BasisDims"/> features instead
/// of all d: each row's coordinates p on an orthonormal basis V of the data's leading principal subspace, and the length
/// rho of the rest, |x - c - V p| (<see cref="PrincipalCoordinates"/>). For two rows
/// x_i - x_j = V (p_i - p_j) + (r_i - r_j), with the r orthogonal to V, so
/// |x_i - x_j|^2 = |p_i - p_j|^2 + |r_i - r_j|^2 &gt;= |p_i - p_j|^2 + (rho_i - rho_j)^2.
/// On images and embeddings a few dozen directions hold most of the variance, and the bound rules out most of the
/// pairs that a tile's centre and radius cannot.
/// </summary>
internal sealed class SubspaceBound<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// The bound's slack, relative to |x_i - c|^2 + |x_j - c|^2: it covers the rounding of the coordinates to T and of
    /// their distance by the micro-kernel (in float32 about (BasisDims + 4) eps of that sum), with room to spare. Rows
    /// are within T's range with room to spare (<see cref="DistancePrecision"/> sees to it), so the bound is finite.
    /// </summary>
    private const double Slack = 1e-5;

    /// <summary>Rows' coordinates on the basis, packed like the rows themselves, and the length of their rest (by packed row, padded with zeros).</summary>
    public sealed record Projected(PackedRows<T> Coordinates, T[] Residuals);

    private readonly PrincipalCoordinates _principal;

    /// <param name="principal">The training rows' coordinates.</param>
    /// <param name="order">The order the search packs the training rows in.</param>
    public SubspaceBound(PrincipalCoordinates principal, int[] order)
    {
        _principal = principal;
        Training = Pack(principal, order);
    }

    /// <summary>The training rows' coordinates, in the order the search packs them.</summary>
    public Projected Training { get; }

    /// <summary>New rows' coordinates, packed in <paramref name="order"/> (null: their own order).</summary>
    public Projected Project(FeatureMatrix features, int[]? order) => Pack(_principal.Project(features), order);

    /// <summary>
    /// True when the bound puts every pair of <paramref name="rows"/> query rows (from <paramref name="firstQuery"/>) and the
    /// tile's first <paramref name="real"/> columns (from <paramref name="firstColumn"/>) beyond that query's worst
    /// candidate; false as soon as one pair may be nearer. A NaN bound counts as nearer.
    /// </summary>
    public bool AllFartherThan(Projected queries, T[] queryNorms, int firstQuery, int rows, PackedRows<T> columns, int firstColumn,
        int real, int tileColumns, ReadOnlySpan<T> worst, Span<T> scratch)
    {
        var coordinates = Training.Coordinates;
        DistanceKernel.SquaredDistances(queries.Coordinates.RowMajor, queries.Coordinates.Norms, firstQuery, rows, coordinates, firstColumn,
            Math.Min(tileColumns, coordinates.PaddedRows - firstColumn), scratch, tileColumns);
        var residuals = Training.Residuals.AsSpan(firstColumn, real);
        var norms = columns.Norms.AsSpan(firstColumn, real);
        var slack = T.CreateTruncating(Slack);
        for (int r = 0; r < rows; r++)
        {
            var distances = scratch.Slice(r * tileColumns, real);
            T rho = queries.Residuals[firstQuery + r], norm = queryNorms[firstQuery + r], limit = worst[r];
            int lanes = Vector256<T>.Count, j = 0;
            for (; j + lanes <= real; j += lanes)
            {
                var gap = Vector256.Create(rho) - Vector256.Create(residuals.Slice(j, lanes));
                var bound = Vector256.Create(distances.Slice(j, lanes)) + gap * gap
                    - Vector256.Create(slack) * (Vector256.Create(norm) + Vector256.Create(norms.Slice(j, lanes)));
                if (!Vector256.GreaterThanAll(bound, Vector256.Create(limit))) return false;
            }
            for (; j < real; j++)
            {
                T gap = rho - residuals[j];
                if (!(distances[j] + gap * gap - slack * (norm + norms[j]) > limit)) return false;
            }
        }
        return true;
    }

    private static Projected Pack(PrincipalCoordinates principal, int[]? order)
    {
        var packed = new PackedRows<T>(principal.Coordinates, new double[PrincipalCoordinates.BasisDims], order);
        var residuals = new T[packed.PaddedRows];
        for (int p = 0; p < packed.Rows; p++) residuals[p] = T.CreateTruncating(principal.Residuals[order?[p] ?? p]);
        return new Projected(packed, residuals);
    }
}

/// <summary>
/// Rows' coordinates on an orthonormal basis V (d x <see cref="BasisDims"/>) of the data's leading principal subspace,
/// and the length of each row's rest, |x - c - V p|, in float64 and in the rows' own order. They give
/// <see cref="SubspaceBound{T}"/>, and the spatial order is built on them: ordering rows on a few dozen coordinates
/// costs that share of ordering them on all features, and groups the rows by the same directions the bound looks at.
/// The basis comes from subspace iteration on a sample of rows: any orthonormal basis gives a valid bound, a better one
/// a tighter bound.
/// </summary>
internal sealed class PrincipalCoordinates
{
    /// <summary>The basis's size: the bound costs BasisDims / d of a full distance.</summary>
    public const int BasisDims = 32;

    /// <summary>Features below which the bound would cost too large a share of the full distance.</summary>
    public const int MinFeatures = 4 * BasisDims;

    private const int SampleRows = 4096;
    private const int Iterations = 4;

    private readonly double[] _basis;
    private readonly double[] _centre;

    private PrincipalCoordinates(double[] basis, double[] centre, FeatureMatrix coordinates, double[] residuals)
    {
        _basis = basis;
        _centre = centre;
        Coordinates = coordinates;
        Residuals = residuals;
    }

    /// <summary>n x <see cref="BasisDims"/> coordinates, float64.</summary>
    public FeatureMatrix Coordinates { get; }

    /// <summary>|x - c - V p| of each row.</summary>
    public double[] Residuals { get; }

    /// <summary>The coordinates of <paramref name="features"/> (centred on <paramref name="centre"/>), or null below
    /// <see cref="MinFeatures"/> features.</summary>
    public static PrincipalCoordinates? TryCreate(FeatureMatrix features, double[] centre)
    {
        if (features.Cols < MinFeatures || features.Rows == 0) return null;
        var basis = Basis(features, centre);
        var (coordinates, residuals) = Project(features, basis, centre);
        return new PrincipalCoordinates(basis, centre, coordinates, residuals);
    }

    /// <summary>New rows' coordinates on the same basis.</summary>
    public PrincipalCoordinates Project(FeatureMatrix features)
    {
        var (coordinates, residuals) = Project(features, _basis, _centre);
        return new PrincipalCoordinates(_basis, _centre, coordinates, residuals);
    }

    /// <summary>
    /// An orthonormal basis (d x <see cref="BasisDims"/>, row-major) of the leading principal subspace of up to
    /// <see cref="SampleRows"/> evenly spaced rows, by subspace iteration from a fixed random start. Where the sample
    /// spans fewer dimensions the spare columns are zero, which leaves the bound valid.
    /// </summary>
    private static double[] Basis(FeatureMatrix features, double[] centre)
    {
        int n = features.Rows, d = features.Cols, samples = Math.Min(n, SampleRows);
        var sample = new double[(long)samples * d];
        for (int s = 0; s < samples; s++) Centred(features, (int)((long)s * n / samples), centre, sample.AsSpan(s * d, d));
        var random = new Random(0);
        var basis = new double[d * BasisDims];
        for (int i = 0; i < basis.Length; i++) basis[i] = random.NextDouble() - 0.5;
        var coordinates = new double[samples * BasisDims];
        for (int iteration = 0; iteration < Iterations; iteration++)
        {
            Orthonormalise(basis, d);
            for (int s = 0; s < samples; s++) ProjectRow(sample.AsSpan(s * d, d), basis, coordinates.AsSpan(s * BasisDims, BasisDims));
            // basis = sample^T coordinates: the scatter matrix applied to the current basis.
            Array.Clear(basis);
            for (int s = 0; s < samples; s++)
            {
                var y = coordinates.AsSpan(s * BasisDims, BasisDims);
                for (int k = 0; k < d; k++)
                {
                    double value = sample[(long)s * d + k];
                    if (value == 0) continue;
                    var row = basis.AsSpan(k * BasisDims, BasisDims);
                    for (int c = 0; c < BasisDims; c += Vector256<double>.Count)
                        Vector256.FusedMultiplyAdd(Vector256.Create(value), Vector256.Create(y.Slice(c, Vector256<double>.Count)),
                            Vector256.Create(row.Slice(c, Vector256<double>.Count))).CopyTo(row.Slice(c, Vector256<double>.Count));
                }
            }
        }
        Orthonormalise(basis, d);
        return basis;
    }

    /// <summary>Gram-Schmidt twice over the columns; a column with no part left outside the earlier ones becomes zero.</summary>
    private static void Orthonormalise(double[] basis, int d)
    {
        for (int c = 0; c < BasisDims; c++)
        {
            double before = Math.Sqrt(ColumnDot(basis, d, c, c));
            for (int pass = 0; pass < 2; pass++)
                for (int b = 0; b < c; b++)
                {
                    double dot = ColumnDot(basis, d, b, c);
                    for (int k = 0; k < d; k++) basis[k * BasisDims + c] -= dot * basis[k * BasisDims + b];
                }
            double after = Math.Sqrt(ColumnDot(basis, d, c, c));
            double scale = after > 1e-9 * before && double.IsFinite(after) ? 1 / after : 0;
            for (int k = 0; k < d; k++) basis[k * BasisDims + c] *= scale;
        }
    }

    private static double ColumnDot(double[] basis, int d, int a, int b)
    {
        double sum = 0;
        for (int k = 0; k < d; k++) sum += basis[k * BasisDims + a] * basis[k * BasisDims + b];
        return sum;
    }

    private static (FeatureMatrix Coordinates, double[] Residuals) Project(FeatureMatrix features, double[] basis, double[] centre)
    {
        int n = features.Rows, d = features.Cols;
        var coordinates = new double[(long)n * BasisDims];
        var residuals = new double[n];
        Parallel.For(0, n, () => new double[d], (i, _, row) =>
        {
            Centred(features, i, centre, row);
            var p = coordinates.AsSpan(i * BasisDims, BasisDims);
            ProjectRow(row, basis, p);
            double full = 0, kept = 0;
            foreach (double value in row) full += value * value;
            foreach (double value in p) kept += value * value;
            residuals[i] = Math.Sqrt(Math.Max(0, full - kept));
            return row;
        }, _ => { });
        return (FeatureMatrix.FromDouble(coordinates, n, BasisDims), residuals);
    }

    private static void Centred(FeatureMatrix features, int row, double[] centre, Span<double> values)
    {
        for (int k = 0; k < values.Length; k++) values[k] = features[row, k] - centre[k];
    }

    /// <summary>p = V^T x for one centred row, eight float64 vectors of partial sums.</summary>
    private static void ProjectRow(ReadOnlySpan<double> row, double[] basis, Span<double> p)
    {
        Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int k = 0; k < row.Length; k++)
        {
            var x = Vector256.Create(row[k]);
            var v = basis.AsSpan(k * BasisDims, BasisDims);
            a0 = Vector256.FusedMultiplyAdd(x, Vector256.Create(v[0..4]), a0);
            a1 = Vector256.FusedMultiplyAdd(x, Vector256.Create(v[4..8]), a1);
            a2 = Vector256.FusedMultiplyAdd(x, Vector256.Create(v[8..12]), a2);
            a3 = Vector256.FusedMultiplyAdd(x, Vector256.Create(v[12..16]), a3);
            a4 = Vector256.FusedMultiplyAdd(x, Vector256.Create(v[16..20]), a4);
            a5 = Vector256.FusedMultiplyAdd(x, Vector256.Create(v[20..24]), a5);
            a6 = Vector256.FusedMultiplyAdd(x, Vector256.Create(v[24..28]), a6);
            a7 = Vector256.FusedMultiplyAdd(x, Vector256.Create(v[28..32]), a7);
        }
        a0.CopyTo(p[0..4]); a1.CopyTo(p[4..8]); a2.CopyTo(p[8..12]); a3.CopyTo(p[12..16]);
        a4.CopyTo(p[16..20]); a5.CopyTo(p[20..24]); a6.CopyTo(p[24..28]); a7.CopyTo(p[28..32]);
    }
}
