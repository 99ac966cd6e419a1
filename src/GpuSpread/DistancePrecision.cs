using System.Globalization;

namespace GpuSpread;

/// <summary>
/// Decides whether the feature kernel's distances are right in the precision asked for. The engines take a squared
/// distance as <c>s_i + s_j - 2 x_i.x_j</c> of rows centred on <see cref="FeatureMatrix.PackingCentre"/>, where
/// <c>s_i</c> is row i's squared distance to the centre. Its rounding error is modelled as
/// <c>c_T (s_i + s_j)</c> with <c>c_T = (2 * 3 * sqrt(d) + 5) u_T</c>: the dot product's and the norms' errors growing as
/// <c>sqrt(d)</c> (Higham and Mary's probabilistic bound, three standard deviations), plus the final additions. Rows
/// near the bulk of the data have small <c>s</c>; a row far from it (a sentinel cell) has a large one, and so do its
/// pairs.
/// <list type="bullet">
/// <item>rbf: a weight <c>exp(-gamma r)</c> is right when <c>gamma c_T (s_i + s_j) &lt;= 0.1</c> (a tenth in the
/// exponent), or when the pair is certainly beyond float64's underflow cut in both the true and the computed distance
/// (the triangle inequality bounds <c>r &gt;= (sqrt(s_i) - sqrt(s_j))^2</c>). A far row is thus harmless while it is
/// far from every other row; two far rows near each other are not.</item>
/// <item>knn: the lists are checked and repaired row by row in float64 (<see cref="Graphs.KnnRepair"/>), so only the
/// range below matters here.</item>
/// <item>range: every centred value, squared norm and <c>gamma r</c> must be finite in T, with room to spare.</item>
/// </list>
/// float32 that fails is replaced by float64 (the fit says so); float64 that fails is refused with
/// <see cref="FeatureRangeException"/>, naming a row and column.
/// </summary>
internal static class DistancePrecision
{
    /// <summary>The largest modelled error of an rbf exponent <c>gamma r</c> that a fit accepts.</summary>
    public const double ExponentTolerance = 0.1;

    /// <summary>Standard deviations of the probabilistic rounding-error bound.</summary>
    private const double RoundingDeviations = 3;

    /// <summary>Pairs the rbf check may examine beyond the fast path before it counts the precision as unproven.</summary>
    private const long PairCheckBudget = 50_000_000;

    /// <summary>The modelled relative rounding error per unit of <c>s_i + s_j</c> of a squared distance in <paramref name="precision"/>.</summary>
    public static double ErrorPerScale(Precision precision, int dims) =>
        (2 * RoundingDeviations * Math.Sqrt(dims) + 5) * UnitRoundoff(precision);

    private static double UnitRoundoff(Precision precision) =>
        precision == Precision.Float32 ? Math.Pow(2, -24) : Math.Pow(2, -53);

    private static double LargestValue(Precision precision) => precision == Precision.Float32 ? float.MaxValue : double.MaxValue;

    /// <summary>
    /// The precision the fit of <paramref name="input"/> runs in: the one asked for, or float64 with
    /// <see cref="DistancePlan.Escalation"/> saying why.
    /// </summary>
    /// <exception cref="FeatureRangeException">not even float64 gives the distances right.</exception>
    public static DistancePlan Plan(GraphInput input, DiffusionOptions options)
    {
        if (input.Features is not { } features) return new DistancePlan(options.Precision, null);
        var scales = features.Scales;
        var problem = Check(features, scales, options, options.Precision);
        if (problem is null) return new DistancePlan(options.Precision, null);
        if (options.Precision == Precision.Float32 && Check(features, scales, options, Precision.Float64) is null)
            return new DistancePlan(Precision.Float64, $"{problem.Describe(features, scales, Precision.Float32)}; computing in float64 instead");
        throw new FeatureRangeException(problem.Row, problem.Column(features, scales),
            $"{problem.Describe(features, scales, Precision.Float64)}; remove or replace such values (or rescale the column)");
    }

    /// <summary>What every engine checks on entry: the distances are right in the precision of <paramref name="options"/>.</summary>
    /// <exception cref="FeatureRangeException">they are not (<see cref="Plan"/> says which precision would do).</exception>
    public static void Require(GraphInput input, DiffusionOptions options)
    {
        if (input.Features is not { } features) return;
        var scales = features.Scales;
        if (Check(features, scales, options, options.Precision) is { } problem)
            throw new FeatureRangeException(problem.Row, problem.Column(features, scales),
                $"{problem.Describe(features, scales, options.Precision)}; fit through LabelDiffusion, which switches to float64 where that suffices");
    }

    private static Problem? Check(FeatureMatrix features, RowScales scales, DiffusionOptions options, Precision precision)
    {
        int largest = scales.Largest;
        if (largest < 0) return null;
        if (!InRange(scales.Squared[largest], options, precision)) return new Problem(ProblemKind.Range, largest, -1);
        return options.Kernel == AffinityKernel.Rbf ? CheckRbfPairs(features, scales, options, ErrorPerScale(precision, scales.Dims)) : null;
    }

    /// <summary>
    /// Every pair whose rbf exponent may be off by more than <see cref="ExponentTolerance"/> must be certainly cut.
    /// Only rows with <c>s_i</c> above half the precise limit can take part in such a pair; each is compared with
    /// the rows near it in distance to the centre, outwards until the triangle inequality proves the cut. Rows at the
    /// same distance from the centre may still be far apart: a few pivots far out tighten the bound for those.
    /// </summary>
    private static Problem? CheckRbfPairs(FeatureMatrix features, RowScales scales, DiffusionOptions options, double errorPerScale)
    {
        double gamma = options.Gamma;
        double preciseLimit = ExponentTolerance / (gamma * errorPerScale); // on s_i + s_j
        var s = scales.Squared;
        int n = s.Length;
        if (2 * s[scales.Largest] <= preciseLimit) return null;
        if (!options.Float64UnderflowCut)
        {
            int other = scales.SecondLargest;
            return other >= 0 && s[scales.Largest] + s[other] > preciseLimit ? new Problem(ProblemKind.Pair, scales.Largest, other) : null;
        }
        double cutDistance = DiffusionOptions.Float64UnderflowExponent / gamma;
        var byRadius = scales.ByRadius();
        var position = new int[n];
        for (int p = 0; p < n; p++) position[byRadius[p]] = p;
        var radius = scales.Radius;
        var pivots = new Lazy<double[][]>(() => PivotDistances(features, scales.Largest).Distances);
        long budget = PairCheckBudget;
        for (int i = 0; i < n; i++)
        {
            if (2 * s[i] <= preciseLimit) continue;
            for (int direction = -1; direction <= 1; direction += 2)
            {
                for (int p = position[i] + direction; p >= 0 && p < n; p += direction)
                {
                    int j = byRadius[p];
                    double error = errorPerScale * (s[i] + s[j]);
                    double gap = radius[i] - radius[j];
                    bool certainlyCut = gap * gap - error > cutDistance;
                    if (certainlyCut && (direction < 0 || radius[j] * (1 - errorPerScale) >= radius[i])) break;
                    if (--budget < 0) return new Problem(ProblemKind.Unproven, i, -1);
                    if (certainlyCut || s[i] + s[j] <= preciseLimit) continue;
                    double bound = 0;
                    foreach (var distances in pivots.Value)
                        bound = Math.Max(bound, Math.Abs(distances[i] - distances[j]));
                    if (!ProvesCut(bound, error, cutDistance)) return new Problem(ProblemKind.Pair, i, j);
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Whether a row at squared distance <paramref name="scale"/> from the centre is within T's range, with room to
    /// spare: its squared norm, and for rbf <c>gamma r</c>.
    /// </summary>
    private static bool InRange(double scale, DiffusionOptions options, Precision precision)
    {
        double limit = LargestValue(precision) / 16;
        return scale <= limit && (options.Kernel != AffinityKernel.Rbf || 4 * options.Gamma * scale <= limit);
    }

    /// <summary>
    /// Whether a pair at least <paramref name="bound"/> apart (a lower bound on the distance, from the triangle
    /// inequality) is beyond the cut in its true and its computed squared distance, the latter off by at most
    /// <paramref name="error"/>.
    /// </summary>
    private static bool ProvesCut(double bound, double error, double cutDistance) => bound * bound * (1 - 1e-9) - error > cutDistance;

    private const int Pivots = 4;

    /// <summary>Every row's distance to a few rows far out, each the farthest from the one before (the first: <paramref name="start"/>).</summary>
    private static (int[] Rows, double[][] Distances) PivotDistances(FeatureMatrix features, int start)
    {
        var rows = new int[Pivots];
        var result = new double[Pivots][];
        int pivot = start;
        for (int p = 0; p < Pivots; p++)
        {
            rows[p] = pivot;
            var distances = new double[features.Rows];
            Parallel.For(0, features.Rows, j => distances[j] = Math.Sqrt(features.SquaredDistance(pivot, features, j)));
            result[p] = distances;
            pivot = Array.IndexOf(distances, distances.Max());
        }
        return (rows, result);
    }

    /// <summary>
    /// The check of new rows against a graph fitted in <paramref name="options"/>' precision: every value in range, and
    /// for rbf every weight to a training row within the tolerance or certainly cut. No other precision is possible
    /// then, so a new row that fails is refused.
    /// </summary>
    /// <exception cref="FeatureRangeException">a new row fails (its row and column, 0-based in <paramref name="queries"/>).</exception>
    public static void RequireQueries(FeatureMatrix training, FeatureMatrix queries, DiffusionOptions options)
    {
        var scales = training.Scales;
        var precision = options.Precision;
        bool rbf = options.Kernel == AffinityKernel.Rbf;
        double errorPerScale = ErrorPerScale(precision, training.Cols);
        double preciseLimit = ExponentTolerance / (options.Gamma * errorPerScale);
        double cutDistance = options.Float64UnderflowCut ? DiffusionOptions.Float64UnderflowExponent / options.Gamma : double.PositiveInfinity;
        var s = scales.Squared;
        double largest = scales.Largest < 0 ? 0 : s[scales.Largest];
        var pivots = new Lazy<(int[] Rows, double[][] Distances)>(() => PivotDistances(training, scales.Largest));
        for (int q = 0; q < queries.Rows; q++)
        {
            double scale = queries.SquaredDistanceTo(q, scales.Centre);
            string name = OptionNames.Precision[precision];
            if (!InRange(scale, options, precision))
                throw Refuse(q, $"too far from the training data for {name} distances");
            if (!rbf || scale + largest <= preciseLimit) continue;
            double radius = Math.Sqrt(scale);
            for (int j = 0; j < s.Length; j++)
            {
                if (scale + s[j] <= preciseLimit) continue;
                double error = errorPerScale * (scale + s[j]);
                double bound = Math.Abs(radius - scales.Radius[j]);
                for (int p = 0; p < Pivots && !ProvesCut(bound, error, cutDistance); p++)
                    bound = Math.Max(bound, Math.Abs(Math.Sqrt(queries.SquaredDistance(q, training, pivots.Value.Rows[p])) - pivots.Value.Distances[p][j]));
                if (!ProvesCut(bound, error, cutDistance))
                    throw Refuse(q, $"far from the bulk of the training data but near training row {j + 1}: their rbf weight in {name} could be "
                                    + $"off by more than {ExponentTolerance.ToString(CultureInfo.InvariantCulture)} in the exponent gamma r");
            }
        }

        FeatureRangeException Refuse(int row, string why) => new(row, scales.FarthestColumn(queries, row),
            $"new {scales.DescribeCell(queries, row)}: {why}; refit in float64, or remove or replace such values");
    }

    private enum ProblemKind { Range, Pair, Unproven }

    /// <summary>Why a precision does not do: a row out of range, or a pair (or a row's pairs) whose error may matter.</summary>
    private sealed record Problem(ProblemKind Kind, int Row, int OtherRow)
    {
        public int Column(FeatureMatrix features, RowScales scales) => scales.FarthestColumn(features, Row);

        public string Describe(FeatureMatrix features, RowScales scales, Precision precision)
        {
            string name = OptionNames.Precision[precision];
            string cell = scales.DescribeCell(features, Row);
            return Kind switch
            {
                ProblemKind.Range => $"{cell}: too far from the bulk of the data for {name} distances",
                ProblemKind.Pair => $"{cell}, and rows {Row + 1} and {OtherRow + 1} lie far from the bulk of the data but near each other: "
                                    + $"their rbf weight in {name} could be off by more than "
                                    + $"{ExponentTolerance.ToString(CultureInfo.InvariantCulture)} in the exponent gamma r",
                _ => $"{cell}, and too many rows lie far from the bulk of the data to prove {name} distances right",
            };
        }
    }
}

/// <summary>What <see cref="DistancePrecision.Plan"/> decided: the precision, and why it is not the one asked for (null when it is).</summary>
internal sealed record DistancePlan(Precision Precision, string? Escalation);

/// <summary>Each row's squared distance to the packing centre and its square root, in float64 by direct differences.</summary>
internal sealed class RowScales
{
    private RowScales(double[] centre, double[] squared, int dims)
    {
        Centre = centre;
        Squared = squared;
        Dims = dims;
        Radius = Array.ConvertAll(squared, Math.Sqrt);
        for (int i = 0; i < squared.Length; i++)
        {
            if (Largest < 0 || !(squared[i] <= squared[Largest])) (SecondLargest, Largest) = (Largest, i);
            else if (SecondLargest < 0 || !(squared[i] <= squared[SecondLargest])) SecondLargest = i;
        }
    }

    public double[] Centre { get; }
    public double[] Squared { get; }
    public double[] Radius { get; }
    public int Dims { get; }
    public int Largest { get; } = -1;
    public int SecondLargest { get; } = -1;

    public static RowScales Of(FeatureMatrix features)
    {
        var centre = features.PackingCentre();
        var squared = new double[features.Rows];
        Parallel.For(0, features.Rows, i => squared[i] = features.SquaredDistanceTo(i, centre));
        return new RowScales(centre, squared, features.Cols);
    }

    /// <summary>Row indices by distance to the centre, nearest first.</summary>
    public int[] ByRadius()
    {
        var order = new int[Radius.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(Radius.ToArray(), order);
        return order;
    }

    /// <summary>The column of <paramref name="row"/> farthest from the centre.</summary>
    public int FarthestColumn(FeatureMatrix features, int row)
    {
        int best = 0;
        for (int k = 1; k < features.Cols; k++)
            if (!(Math.Abs(features[row, k] - Centre[k]) <= Math.Abs(features[row, best] - Centre[best]))) best = k;
        return best;
    }

    /// <summary>"row R, column C holds V (the column's median is M)", 1-based, for messages.</summary>
    public string DescribeCell(FeatureMatrix features, int row)
    {
        int column = FarthestColumn(features, row);
        return string.Create(CultureInfo.InvariantCulture,
            $"row {row + 1}, column {column + 1} holds {features[row, column]:G6} (the column's median is {Centre[column]:G6})");
    }
}
