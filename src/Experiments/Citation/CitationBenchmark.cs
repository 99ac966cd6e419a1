using System.Diagnostics;
using System.Globalization;
using GpuSpread.Experiments.Linear;
using GpuSpread.Graphs;
using GpuSpread.SelfTraining;

namespace GpuSpread.Experiments.Citation;

/// <summary>The methods the citation benchmark evaluates.</summary>
public enum CitationMethod
{
    /// <summary>Label spreading over the citation graph alone.</summary>
    Graph,

    /// <summary>Label spreading over a kNN graph of the features (cosine: rows scaled to unit length).</summary>
    Knn,

    /// <summary>Label spreading over both graphs combined (<see cref="GraphCombination"/>).</summary>
    Combined,

    /// <summary>Softmax regression on the features (rows scaled to sum 1), no graph.</summary>
    Linear,

    /// <summary>SGC (Wu et al. 2019): features propagated K times by the renormalised adjacency, then softmax regression.</summary>
    Sgc,

    /// <summary>Correct-and-Smooth (Huang et al. 2021) over a base model (linear or SGC).</summary>
    CorrectAndSmooth,
}

/// <summary>Every hyper-parameter of <see cref="CitationBenchmark"/>; null ones are chosen on the validation split.</summary>
public sealed record CitationSettings
{
    /// <summary>Spreading's alpha (graph, knn, combined).</summary>
    public double Alpha { get; init; } = 0.9;

    public int MaxIter { get; init; } = 1000;
    public double Tol { get; init; } = 1e-4;

    /// <summary>The feature kNN graph: k, its form, self-loops and weights (rbf weights use <see cref="Gamma"/> on unit-length rows).</summary>
    public int NNeighbors { get; init; } = 20;
    public KnnGraphKind KnnGraph { get; init; } = KnnGraphKind.Union;
    public KnnSelfLoops KnnSelfLoops { get; init; } = KnnSelfLoops.Drop;
    public KnnWeights KnnWeights { get; init; } = KnnWeights.Connectivity;
    public double Gamma { get; init; } = 1;

    /// <summary>Combined: how, and the citation graph's share mu.</summary>
    public CombinationMode Combine { get; init; } = CombinationMode.Operators;
    public double GraphWeight { get; init; } = 0.85;

    /// <summary>The L2 penalty of the softmax regression; null: chosen on the validation split from <see cref="LambdaGrid"/>.</summary>
    public double? Lambda { get; init; }

    public IReadOnlyList<double> LambdaGrid { get; init; } = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6];

    /// <summary>SGC's K (propagation steps of the features).</summary>
    public int Hops { get; init; } = 2;

    /// <summary>Correct-and-Smooth's base model: <see cref="CitationMethod.Linear"/> or <see cref="CitationMethod.Sgc"/>.</summary>
    public CitationMethod Base { get; init; } = CitationMethod.Linear;

    public CorrectAndSmoothOptions CorrectAndSmooth { get; init; } = new();

    /// <summary>Self-training on top of the spreading methods (graph, knn, combined); null: none.</summary>
    public SelfTrainingOptions? SelfTraining { get; init; }

    public DiffusionOptions SpreadingOptions() => DiffusionOptions.Spreading() with
    {
        Alpha = Alpha, MaxIter = MaxIter, Tol = Tol, Kernel = AffinityKernel.Knn, NNeighbors = NNeighbors, Gamma = Gamma,
        KnnGraph = KnnGraph, KnnSelfLoops = KnnSelfLoops, KnnWeights = KnnWeights,
    };
}

/// <summary>A method's result on the standard split.</summary>
/// <param name="Choices">The hyper-parameters used, each saying whether it was chosen on the validation split.</param>
/// <param name="Predictions">Per node, the predicted class.</param>
public sealed record CitationResult(string Dataset, CitationMethod Method, int TestCorrect, int TestCount, double ValidationAccuracy,
    IReadOnlyList<string> Choices, int[] Predictions, double Seconds, SelfTrainingResult? SelfTraining)
{
    public double TestAccuracy => TestCount == 0 ? 0 : (double)TestCorrect / TestCount;
}

/// <summary>
/// Evaluates a method on a citation data set's standard split: trained on the training labels only (20 per class),
/// scored on the test nodes (those with a label); the validation nodes only choose hyper-parameters left open
/// (<see cref="CitationSettings.Lambda"/>), and the result says which.
/// </summary>
public static class CitationBenchmark
{
    public static NameTable<CitationMethod> MethodNames { get; } = new((CitationMethod.Graph, "graph"), (CitationMethod.Knn, "knn"),
        (CitationMethod.Combined, "combined"), (CitationMethod.Linear, "linear"), (CitationMethod.Sgc, "sgc"), (CitationMethod.CorrectAndSmooth, "correct-and-smooth"));

    /// <summary>What a spreading method's graph is built from: the citation graph, the features' kNN graph, or both.</summary>
    public static GraphInput Input(CitationDataset data, CitationMethod method, CitationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        var combination = new GraphCombination { Mode = settings.Combine, GraphWeight = settings.GraphWeight };
        return method switch
        {
            CitationMethod.Knn => GraphInput.FromFeatures(UnitRows(data.Features)),
            CitationMethod.Combined => GraphInput.Combined(UnitRows(data.Features), data.Graph, combination),
            _ => GraphInput.FromGraph(data.Graph),
        };
    }

    /// <param name="input">The spreading methods' <see cref="Input"/> when the caller has it already (it chose the engine for it).</param>
    public static CitationResult Evaluate(CitationDataset data, CitationMethod method, CitationSettings settings, IDiffusionEngine engine,
        GraphInput? input = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(engine);
        var clock = Stopwatch.StartNew();
        var choices = new List<string>();
        SelfTrainingResult? selfTraining = null;
        int[] predictions;
        switch (method)
        {
            case CitationMethod.Graph:
            case CitationMethod.Knn:
            case CitationMethod.Combined:
                (predictions, selfTraining) = Spread(data, method, settings, engine, input ?? Input(data, method, settings), choices, cancellation);
                break;
            case CitationMethod.Linear:
            case CitationMethod.Sgc:
            case CitationMethod.CorrectAndSmooth:
                predictions = LinearFamily(data, method, settings, choices, cancellation);
                break;
            default:
                throw new InvalidParameterException("method", method.ToString(), "graph, knn, combined, linear, sgc or correct-and-smooth");
        }
        var (correct, count) = Score(data, data.Test, predictions);
        return new CitationResult(data.Name, method, correct, count, Accuracy(data, data.Validation, predictions), choices, predictions,
            clock.Elapsed.TotalSeconds, selfTraining);
    }

    /// <summary>Right predictions and scored nodes among <paramref name="rows"/> (nodes without a label are not scored).</summary>
    public static (int Correct, int Count) Score(CitationDataset data, IEnumerable<int> rows, int[] predictions)
    {
        int correct = 0, count = 0;
        foreach (int i in rows)
        {
            if (data.Labels[i] < 0) continue;
            count++;
            if (predictions[i] == data.Labels[i]) correct++;
        }
        return (correct, count);
    }

    public static double Accuracy(CitationDataset data, IEnumerable<int> rows, int[] predictions)
    {
        var (correct, count) = Score(data, rows, predictions);
        return count == 0 ? 0 : (double)correct / count;
    }

    private static (int[] Predictions, SelfTrainingResult? SelfTraining) Spread(CitationDataset data, CitationMethod method, CitationSettings settings,
        IDiffusionEngine engine, GraphInput input, List<string> choices, CancellationToken cancellation)
    {
        var options = settings.SpreadingOptions();
        choices.Add(F($"alpha={settings.Alpha}"));
        choices.Add(F($"max_iter={settings.MaxIter}, tol={settings.Tol}"));
        if (method != CitationMethod.Graph)
            choices.Add(F($"features: rows scaled to unit length (cosine); knn k={settings.NNeighbors}, {OptionNames.KnnGraph[settings.KnnGraph]}, self-loops {OptionNames.KnnSelfLoops[settings.KnnSelfLoops]}, {OptionNames.KnnWeights[settings.KnnWeights]}")
                + (settings.KnnWeights == KnnWeights.Rbf ? F($" gamma={settings.Gamma}") : ""));
        if (method == CitationMethod.Combined)
            choices.Add(F($"combine={OptionNames.Combine[settings.Combine]}, graph weight mu={settings.GraphWeight}"));
        using var estimator = new LabelDiffusion(engine, options);
        estimator.Fit(input, Array.ConvertAll(data.TrainingLabels(), l => (long)l), cancellation: cancellation);
        if (settings.SelfTraining is not { } selfTraining) return (Labels(estimator.Transduction), null);
        choices.Add(F($"self-training: {WorkflowNames.Rule[selfTraining.Rule]} threshold tau={selfTraining.Threshold}, at most {selfTraining.MaxRounds} rounds{(selfTraining.Revise ? ", pseudo-labels revised every round" : "")}"));
        // The answer key for the per-round figures: every known label outside the training rows (test and val included).
        var result = SelfTrainer.Run(estimator, selfTraining, Array.ConvertAll(data.Labels, l => (long)l), null, cancellation);
        return (Labels(result.Predictions), result);
    }

    private static int[] Labels(long[] predictions) => Array.ConvertAll(predictions, p => (int)p);

    private static int[] LinearFamily(CitationDataset data, CitationMethod method, CitationSettings settings, List<string> choices,
        CancellationToken cancellation)
    {
        int n = data.Nodes, d = data.Features.Cols, classes = data.Classes;
        var baseMethod = method == CitationMethod.CorrectAndSmooth ? settings.Base : method;
        if (baseMethod is not (CitationMethod.Linear or CitationMethod.Sgc))
            throw new InvalidParameterException("base", baseMethod.ToString(), "'linear' or 'sgc'");
        var x = RowSumNormalised(data.Features);
        if (baseMethod == CitationMethod.Sgc)
        {
            x = new NormalisedAdjacency(data.Graph, selfLoop: 1).Power(x, d, settings.Hops);
            choices.Add(F($"SGC: features (rows scaled to sum 1) propagated K={settings.Hops} times by D^-1/2 (A + I) D^-1/2"));
        }
        else choices.Add("linear: features with rows scaled to sum 1");
        var trainClasses = data.Train.Select(i => data.Labels[i]).ToArray();
        NormalisedAdjacency? adjacency = method == CitationMethod.CorrectAndSmooth ? new NormalisedAdjacency(data.Graph) : null;
        if (adjacency is not null)
        {
            var cs = settings.CorrectAndSmooth;
            choices.Add(F($"correct-and-smooth over {MethodNames[baseMethod]}: alpha1={cs.CorrectAlpha}, alpha2={cs.SmoothAlpha}, {cs.CorrectIterations}/{cs.SmoothIterations} steps, {(cs.Autoscale ? "autoscale" : F($"FDiff-scale {cs.Scale}"))}"));
        }

        int[] PredictWith(double lambda)
        {
            cancellation.ThrowIfCancellationRequested();
            var model = SoftmaxRegression.Train(x, d, data.Train, trainClasses, classes, lambda);
            var z = model.PredictProba(x, n);
            if (adjacency is not null) z = Experiments.CorrectAndSmooth.Run(adjacency, z, classes, data.Train, trainClasses, settings.CorrectAndSmooth);
            return SelfTrainer.TopClasses(z, n, classes).Best;
        }

        if (settings.Lambda is { } fixedLambda)
        {
            choices.Add(F($"lambda={Number(fixedLambda)} (L2, given)"));
            return PredictWith(fixedLambda);
        }
        int[]? best = null;
        double bestLambda = double.NaN, bestValidation = -1;
        var tried = new List<string>();
        foreach (double lambda in settings.LambdaGrid)
        {
            var predictions = PredictWith(lambda);
            double validation = Accuracy(data, data.Validation, predictions);
            tried.Add(F($"{Number(lambda)}: {validation:P1}"));
            if (validation > bestValidation)
            {
                (best, bestLambda, bestValidation) = (predictions, lambda, validation);
            }
        }
        choices.Add(F($"lambda={Number(bestLambda)} (L2, chosen on the validation split; val accuracy {string.Join(", ", tried)})"));
        return best!;
    }

    /// <summary>Rows divided by their sums (Kipf and Welling's preprocessing of bag-of-words rows), float64; zero rows stay zero.</summary>
    public static double[] RowSumNormalised(FeatureMatrix features)
    {
        int n = features.Rows, d = features.Cols;
        var x = features.AsDouble();
        var result = new double[(long)n * d];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int f = 0; f < d; f++) sum += x[(long)i * d + f];
            if (sum == 0) continue;
            for (int f = 0; f < d; f++) result[(long)i * d + f] = x[(long)i * d + f] / sum;
        }
        return result;
    }

    /// <summary>
    /// Rows scaled to unit L2 norm, so that Euclidean neighbours are cosine neighbours (<c>|x - y|^2 = 2 - 2 cos</c>).
    /// A row without any word has no cosine to anything; left at zero it would sit at distance 1 from every unit row,
    /// nearer than any row sharing less than half its direction, and become everyone's neighbour (CiteSeer has 15).
    /// So one more coordinate is added, 2 for such rows and 0 for the others: they are then farther (squared
    /// distance 5) from every unit row than any two unit rows are (at most 4), and only each other's neighbours.
    /// </summary>
    public static FeatureMatrix UnitRows(FeatureMatrix features)
    {
        int n = features.Rows, d = features.Cols;
        var x = features.AsDouble();
        var sums = new double[n];
        for (int i = 0; i < n; i++)
            for (int f = 0; f < d; f++) sums[i] += x[(long)i * d + f] * x[(long)i * d + f];
        bool anyEmpty = sums.Any(sum => sum == 0);
        int width = anyEmpty ? d + 1 : d;
        var result = new float[(long)n * width];
        for (int i = 0; i < n; i++)
        {
            if (sums[i] == 0)
            {
                result[(long)i * width + d] = 2;
                continue;
            }
            double inverse = 1 / Math.Sqrt(sums[i]);
            for (int f = 0; f < d; f++) result[(long)i * width + f] = (float)(x[(long)i * d + f] * inverse);
        }
        return FeatureMatrix.FromSingle(result, n, width);
    }

    /// <summary>1e-05 as "1e-5", 0.001 as "0.001".</summary>
    private static string Number(double value) => value >= 1e-3
        ? value.ToString("G3", CultureInfo.InvariantCulture)
        : value.ToString("0.##e-0", CultureInfo.InvariantCulture);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
