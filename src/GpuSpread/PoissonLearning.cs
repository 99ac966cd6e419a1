using System.Globalization;

namespace GpuSpread;

/// <summary>
/// Poisson learning (J. Calder, B. Cook, M. Thorpe, D. Slepcev, "Poisson Learning: Graph Based Semi-Supervised Learning at
/// Very Low Label Rates", ICML 2020), as GraphLearning's <c>poisson(solver='gradient_descent')</c> computes it:
/// <list type="bullet">
/// <item>W is the symmetric part <c>(W + W^T) / 2</c> of the graph, without its diagonal (the symmetric graphs, rbf
/// and the union or mutual knn graphs, are their own symmetric part); D its degrees, a zero degree counting as 1;</item>
/// <item>sources <c>b_i = e_{y_i} - ybar</c> at the labeled rows (ybar: the mean one-hot label), 0 elsewhere;</item>
/// <item><c>u &lt;- D^-1 (b + W u)</c> from <c>u = 0</c>, the paper's <c>u &lt;- u + D^-1 (b - L u)</c>;</item>
/// <item>alongside it the random walk <c>v &lt;- W D^-1 v</c> from the uniform distribution on the labeled rows; the loop
/// runs at least <see cref="MinIterations"/> times, then until <c>max_i |v_i - d_i / sum(d)| &lt;= 1 / n</c>, at most
/// max_iter times (n_iter: the iterations run; converged: the rule, not max_iter, ended the loop).</item>
/// </list>
/// The engines iterate <c>z = D^1/2 u</c> with spreading's operator <c>S = D^-1/2 W D^-1/2</c>:
/// <c>z &lt;- S z + D^-1/2 b</c>, and <c>y = D^-1/2 v</c> as one more column, <c>y &lt;- S y</c>.
/// A row's scores sum to 0; its distribution is the positive part of its scores divided by their sum (the argmax is the
/// scores' argmax), all zero where no label's source reached it. <see cref="DiffusionOptions.ClassPriors"/> then weighs
/// class j by <c>prior_j / ybar_j</c> (the paper's Algorithm 1), which commutes with taking the positive part.
/// </summary>
public static class PoissonLearning
{
    /// <summary>Iterations run before the stopping rule is consulted (GraphLearning's min_iter).</summary>
    public const int MinIterations = 50;

    /// <summary>The operator the engines iterate for <paramref name="model"/>: Poisson learning runs on spreading's S.</summary>
    internal static DiffusionModel OperatorModel(DiffusionModel model) => model == DiffusionModel.Poisson ? DiffusionModel.Spreading : model;

    /// <summary>ybar: per class, the share of the labeled rows that carry it.</summary>
    /// <exception cref="ArgumentException">no row is labeled.</exception>
    internal static double[] MeanLabel(ReadOnlySpan<int> classIndex, int classes)
    {
        var mean = new double[classes];
        int labeled = 0;
        foreach (int index in classIndex)
            if (index >= 0)
            {
                mean[index]++;
                labeled++;
            }
        if (labeled == 0) throw new ArgumentException("Poisson learning needs at least one labeled row", nameof(classIndex));
        for (int k = 0; k < classes; k++) mean[k] /= labeled;
        return mean;
    }

    /// <summary>
    /// The stopping rule, both engines': at least <see cref="MinIterations"/> iterations run, and the walk within
    /// <c>1 / n</c> of its stationary distribution (<paramref name="deviation"/>: its largest <c>|v_i - d_i / sum(d)|</c>).
    /// The loop runs while this is false, at most max_iter times; converged is this at the end.
    /// </summary>
    internal static bool RuleMet(int iterations, double deviation, int rows) => iterations >= MinIterations && deviation <= 1.0 / rows;

    /// <summary>
    /// The state the engines start from (log-scales filled with -inf by the caller, rows of <paramref name="width"/> zeros):
    /// z = 0, and the walk in column <paramref name="walk"/> uniform on the labeled rows, <c>y = D^-1/2 v</c> with
    /// <c>v_i = 1/m</c>.
    /// </summary>
    internal static void StartWalk(ReadOnlySpan<int> classIndex, ReadOnlySpan<double> halfLogDegree, Span<double> log, Span<double> g,
        int width, int walk)
    {
        int labeled = 0;
        foreach (int index in classIndex)
            if (index >= 0) labeled++;
        for (int i = 0; i < classIndex.Length; i++)
            if (classIndex[i] >= 0)
            {
                log[i] = -Math.Log(labeled) - halfLogDegree[i];
                g[i * width + walk] = 1;
            }
    }

    /// <summary>The distributions (rows x classes) of the final state's scores, rows of <paramref name="width"/> values.</summary>
    internal static double[] Distributions(double[] scores, int rows, int width, int classes)
    {
        var distributions = new double[(long)rows * classes];
        Parallel.For(0, rows, i => Distribution(scores.AsSpan(i * width, classes), distributions.AsSpan(i * classes, classes)));
        return distributions;
    }

    /// <summary>log(sum_i d_i) from log(d_i)/2, shifted by the largest.</summary>
    internal static double LogSumOfDegrees(ReadOnlySpan<double> halfLogDegree)
    {
        double largest = double.NegativeInfinity;
        foreach (double h in halfLogDegree) largest = Math.Max(largest, 2 * h);
        double sum = 0;
        foreach (double h in halfLogDegree) sum += Math.Exp(2 * h - largest);
        return largest + Math.Log(sum);
    }

    /// <summary>A row's distribution from its scores: the positive part divided by its sum; all zero when nothing is positive.</summary>
    internal static void Distribution(ReadOnlySpan<double> scores, Span<double> destination)
    {
        double sum = 0;
        foreach (double value in scores) sum += Math.Max(value, 0);
        for (int k = 0; k < scores.Length; k++) destination[k] = sum > 0 ? Math.Max(scores[k], 0) / sum : 0;
    }

    /// <summary>
    /// The class-mass correction on fitted distributions (n x c, in place): class j weighed by
    /// <c>prior_j / ybar_j</c>, rows divided by their new sums.
    /// </summary>
    internal static void CorrectClassMass(double[] distributions, int classes, ReadOnlySpan<int> classIndex, ReadOnlySpan<double> priors)
    {
        var mean = MeanLabel(classIndex, classes);
        var weights = new double[classes];
        for (int k = 0; k < classes; k++) weights[k] = priors[k] / mean[k];
        for (int start = 0; start < distributions.Length; start += classes)
        {
            var row = distributions.AsSpan(start, classes);
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += row[k] *= weights[k];
            if (sum > 0)
                for (int k = 0; k < classes; k++) row[k] /= sum;
        }
    }
}

/// <summary>
/// Class priors for Poisson learning's class-mass correction: uniform, or a weight per class label (normalised over the
/// classes that the labels hold).
/// </summary>
public sealed class ClassPriors
{
    private readonly IReadOnlyDictionary<long, double>? _weights;

    private ClassPriors(IReadOnlyDictionary<long, double>? weights) => _weights = weights;

    /// <summary>Every class equally likely.</summary>
    public static ClassPriors Uniform { get; } = new(null);

    /// <summary>A weight per class label: positive and finite; normalised over the classes that a fit's labels hold.</summary>
    /// <exception cref="InvalidParameterException">a weight that is not positive and finite, or a label below 0.</exception>
    public static ClassPriors FromWeights(IReadOnlyDictionary<long, double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count == 0) throw new InvalidParameterException("class_priors", "{}", "a positive weight for each class");
        foreach (var (label, weight) in weights)
        {
            if (label < 0) throw new InvalidParameterException("class_priors", label, "class labels of 0 or more (-1 means unlabeled)");
            if (!(weight > 0 && double.IsFinite(weight)))
                throw new InvalidParameterException("class_priors", weight, $"a positive finite weight (class {label.ToString(CultureInfo.InvariantCulture)})");
        }
        return new ClassPriors(new Dictionary<long, double>(weights));
    }

    /// <summary>The priors of <paramref name="classes"/> (sorted labels), summing to 1.</summary>
    /// <exception cref="InvalidParameterException">a class that has no prior.</exception>
    public double[] For(IReadOnlyList<long> classes)
    {
        var priors = new double[classes.Count];
        for (int k = 0; k < priors.Length; k++)
        {
            if (_weights is null) priors[k] = 1;
            else if (!_weights.TryGetValue(classes[k], out priors[k]))
                throw new InvalidParameterException("class_priors", ToString(),
                    $"a prior for every class of the labels; class {classes[k].ToString(CultureInfo.InvariantCulture)} has none");
        }
        double sum = priors.Sum();
        for (int k = 0; k < priors.Length; k++) priors[k] /= sum;
        return priors;
    }

    /// <summary>"uniform", or "label: weight, ..." in label order.</summary>
    public override string ToString() => _weights is null ? "uniform"
        : string.Join(", ", _weights.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}: {p.Value}")));
}
