using System.Globalization;
using GpuSpread.Active;
using GpuSpread.IO;

namespace GpuSpread.Runner;

/// <summary><c>gpuspread active</c>'s arguments resolved and checked, and its data read.</summary>
/// <param name="Indices">The digits demo's rows among the 1797 digits (null otherwise).</param>
/// <param name="Allowed">The labels a person may give (null: any).</param>
/// <param name="Source">Where the data came from, for the report.</param>
public sealed record ActiveSession(FeatureMatrix Features, long[] Labels, long[]? Truth, int[]? Indices, DiffusionOptions Options,
    ActiveLearningOptions Active, string Oracle, (int Rows, int Cols)? ImageShape, IReadOnlySet<long>? Allowed, string Source, string? Demo)
{
    public static readonly string[] Oracles = ["truth", "terminal", "file"];

    public static ActiveSession Prepare(ActiveArguments a)
    {
        FeatureMatrix features;
        long[] labels;
        long[]? truth = null;
        int[]? indices = null;
        (int Rows, int Cols)? shape = null;
        string source;
        if (a.Demo is not null)
        {
            foreach (var (given, name) in new[] { (a.Data, "--data"), (a.Labels, "--labels"), (a.Truth, "--truth") })
                if (given is not null) throw new InvalidParameterException(name.TrimStart('-'), given, $"left out with --demo {a.Demo}, which brings its own data");
            (features, labels, truth, indices) = DigitsDemo.Load();
            shape = (DigitsDemo.ImageSide, DigitsDemo.ImageSide);
            source = "demo digits";
        }
        else
        {
            if (a.Data is null || a.Labels is null)
                throw new InvalidParameterException(a.Data is null ? "data" : "labels", null, "given (--data X --labels y), or use --demo digits");
            features = FeatureReader.Read(a.Data);
            labels = InputFiles.ReadLabels(a.Labels);
            if (labels.Length != features.Rows)
                throw new InputDataException($"{a.Labels}: {labels.Length} labels for {features.Rows} feature rows in {a.Data}; there must be one label per row");
            if (a.Truth is not null)
            {
                truth = InputFiles.ReadLabels(a.Truth);
                if (truth.Length != features.Rows)
                    throw new InputDataException($"{a.Truth}: {truth.Length} labels for {features.Rows} feature rows in {a.Data}; the answer key needs one label per row");
            }
            source = Path.GetFullPath(a.Data);
        }
        if (a.ImageShape is not null)
        {
            if (a.Demo is not null) throw new InvalidParameterException("image-shape", a.ImageShape, $"left out with --demo {a.Demo} (its images are 8x8)");
            shape = ParseShape(a.ImageShape, features.Cols);
        }

        string oracle = a.Oracle ?? (truth is not null ? "truth" : "terminal");
        if (oracle == "truth" && truth is null)
            throw new InvalidParameterException("oracle", "truth", "'terminal' or 'file' without an answer key (--truth y_true.csv)");

        var options = a.Model(a.Demo is not null);
        GraphInput.FromFeatures(features).Validate(options);
        var active = new ActiveLearningOptions
        {
            Rounds = a.Rounds ?? (a.Demo is not null ? DigitsDemo.Rounds : 5),
            Batch = a.Batch ?? (a.Demo is not null ? DigitsDemo.Batch : 5),
            WarmStart = a.WarmStart,
            Strategy = a.Strategy is not null ? WorkflowNames.Strategy.Parse(a.Strategy, "strategy") : DefaultStrategy(a),
            Seed = a.Seed ?? 0,
        };
        active.Validate();
        var allowed = a.Classes is null ? null : ParseClasses(a.Classes);
        return new ActiveSession(features, labels, truth, indices, options, active, oracle, shape, allowed, source, a.Demo);
    }

    /// <summary>The strategy when --strategy is not given.</summary>
    public const PickStrategy UsersDefaultStrategy = PickStrategy.GraphCoverage;

    /// <summary>
    /// Without --strategy: entropy for the demo (scikit-learn's example); a resumed session's own, from its journal
    /// (one without a strategy was made with entropy, the default before graph-coverage); graph-coverage otherwise.
    /// </summary>
    private static PickStrategy DefaultStrategy(ActiveArguments a)
    {
        if (a.Demo is not null) return PickStrategy.Entropy;
        string journal = Path.Combine(a.Out, ActiveCommand.JournalFile);
        if (a.Resume && File.Exists(journal))
            return ActiveJournal.Read(journal).Fingerprint.TryGetValue("strategy", out string? name)
                ? WorkflowNames.Strategy.Parse(name, "the journal's strategy")
                : PickStrategy.Entropy;
        return UsersDefaultStrategy;
    }

    /// <summary>"8x8" (rows x columns), which must multiply to the number of features.</summary>
    public static (int Rows, int Cols) ParseShape(string text, int features)
    {
        var parts = text.ToLowerInvariant().Split('x');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int rows) || rows < 1
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int cols) || cols < 1)
            throw new InvalidParameterException("image-shape", text, "ROWSxCOLUMNS with positive integers, e.g. 8x8 or 28x28");
        if ((long)rows * cols != features)
            throw new InvalidParameterException("image-shape", text, $"a shape of {features} pixels, the number of features per row (rows x columns = {features})");
        return (rows, cols);
    }

    /// <summary>"0-9", "1,2,5" or a mix: the labels a person may give.</summary>
    public static IReadOnlySet<long> ParseClasses(string text)
    {
        var result = new SortedSet<long>();
        foreach (string item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = item.IndexOf('-', 1);
            if (dash > 0
                && long.TryParse(item[..dash], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long from)
                && long.TryParse(item[(dash + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long to)
                && from <= to && to - from < 100_000)
            {
                for (long v = from; v <= to; v++) result.Add(v);
                continue;
            }
            if (!long.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
                throw new InvalidParameterException("classes", text, "integers and ranges separated by commas, e.g. 0-9 or 1,2,5");
            result.Add(value);
        }
        if (result.Remove(LabelEncoding.Unlabeled))
            throw new InvalidParameterException("classes", text, "class labels other than -1 (which means unlabeled)");
        if (result.Any(label => !LabelEncoding.IsClassLabel(label)))
            throw new InvalidParameterException("classes", text, $"class labels from {LabelEncoding.MinLabel} to {LabelEncoding.MaxLabel}");
        if (result.Count == 0) throw new InvalidParameterException("classes", text, "at least one class label, e.g. 0-9");
        return result;
    }

    /// <summary>What a journal must match to be resumed: the data, the starting labels, and every setting that changes the picks.</summary>
    public Dictionary<string, string> Fingerprint()
    {
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var o = Options;
        var fingerprint = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["n"] = Features.Rows.ToString(CultureInfo.InvariantCulture),
            ["d"] = Features.Cols.ToString(CultureInfo.InvariantCulture),
            ["features_sha256"] = ActiveJournal.Hash(Features),
            ["labels_sha256"] = ActiveJournal.Hash(Labels),
            ["model"] = OptionNames.Model[o.Model],
            ["kernel"] = OptionNames.Kernel[o.Kernel],
            ["gamma"] = F(o.Gamma),
            ["n_neighbors"] = o.NNeighbors.ToString(CultureInfo.InvariantCulture),
            ["alpha"] = F(o.Alpha),
            ["max_iter"] = o.MaxIter.ToString(CultureInfo.InvariantCulture),
            ["tol"] = F(o.Tol),
            ["precision"] = OptionNames.Precision[o.Precision],
            ["underflow_cut"] = o.Float64UnderflowCut ? "true" : "false",
            ["batch"] = Active.Batch.ToString(CultureInfo.InvariantCulture),
            ["warm_start"] = Active.WarmStart ? "true" : "false",
        };
        // Settings added after journals were first written are recorded only when they differ from their defaults, so
        // that those journals resume as before.
        if (o.Kernel == AffinityKernel.Knn && o.KnnSearch != KnnSearchMethod.Auto)
            fingerprint["knn_search"] = OptionNames.KnnSearch[o.KnnSearch];
        if (o.Kernel == AffinityKernel.Knn && !o.HasScikitLearnKnnGraph)
        {
            fingerprint["knn_graph"] = OptionNames.KnnGraph[o.KnnGraph];
            fingerprint["knn_self_loops"] = OptionNames.KnnSelfLoops[o.KnnSelfLoops];
            fingerprint["knn_weights"] = OptionNames.KnnWeights[o.KnnWeights];
        }
        if (o.Solver != Solver.FixedPoint) fingerprint["solver"] = OptionNames.Solver[o.Solver];
        if (o.ClassPriors is { } priors) fingerprint["class_priors"] = priors.ToString();
        if (Active.Strategy != PickStrategy.Entropy) fingerprint["strategy"] = WorkflowNames.Strategy[Active.Strategy];
        if (Active.Seed != 0) fingerprint["seed"] = Active.Seed.ToString(CultureInfo.InvariantCulture);
        return fingerprint;
    }

    public Dictionary<string, object?> Settings(IDiffusionEngine engine)
    {
        var o = Options;
        var settings = new Dictionary<string, object?>
        {
            ["data"] = Source,
            ["n"] = Features.Rows,
            ["d"] = Features.Cols,
            ["n_labeled_start"] = Labels.Count(l => l != LabelEncoding.Unlabeled),
            ["oracle"] = Oracle,
            ["rounds"] = Active.Rounds,
            ["batch"] = Active.Batch,
            ["warm_start"] = Active.WarmStart,
            ["strategy"] = WorkflowNames.Strategy[Active.Strategy],
            ["seed"] = Active.Seed,
            ["model"] = OptionNames.Model[o.Model],
            ["kernel"] = OptionNames.Kernel[o.Kernel],
            ["gamma"] = o.Gamma,
            ["n_neighbors"] = o.NNeighbors,
            ["knn_search"] = o.Kernel == AffinityKernel.Knn ? OptionNames.KnnSearch[o.KnnSearch] : null,
            ["knn_graph"] = o.Kernel == AffinityKernel.Knn ? OptionNames.KnnGraph[o.KnnGraph] : null,
            ["knn_self_loops"] = o.Kernel == AffinityKernel.Knn ? OptionNames.KnnSelfLoops[o.KnnSelfLoops] : null,
            ["knn_weights"] = o.Kernel == AffinityKernel.Knn ? OptionNames.KnnWeights[o.KnnWeights] : null,
            ["solver"] = OptionNames.Solver[o.Solver],
            ["alpha"] = o.Model == DiffusionModel.Spreading ? o.Alpha : null,
            ["class_priors"] = o.ClassPriors?.ToString(),
            ["max_iter"] = o.MaxIter,
            ["tol"] = o.Tol,
            ["precision"] = OptionNames.Precision[o.Precision],
            ["underflow_cut"] = o.Float64UnderflowCut,
            ["engine"] = engine.Description.Name,
            ["device"] = engine.Description.Device,
            ["entropy"] = "natural log; null for a row no label reached (scipy gives NaN), ranked above every other",
        };
        if (Demo is not null) settings["demo"] = Demo;
        if (ImageShape is { } shape) settings["image_shape"] = $"{shape.Rows}x{shape.Cols}";
        return settings;
    }
}
