using GpuSpread.Engine.Cpu;
using GpuSpread.Engine.Gpu;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The approximate knn search (NN-descent) against the exact one on seeded inputs of awkward sizes, its determinism,
/// the recall it reports, and how the option picks it.
/// </summary>
public class NnDescentTests(ITestOutputHelper output)
{
    private static FeatureMatrix Uniform(int seed, int n, int d)
    {
        var random = new Random(seed);
        var values = new float[n * d];
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble();
        return FeatureMatrix.FromSingle(values, n, d);
    }

    private static FeatureMatrix Blobs(int seed, int n, int d) => TestData.ToMatrix(TestData.Blobs(seed, n, d, 6, sigma: 0.4).X, Precision.Float32);

    private static int[] Exact(FeatureMatrix features, int k) =>
        GraphKnn.Find<float>(features, DiffusionOptions.Spreading(), KnnSearchMethod.Exact, k, null, default).Neighbours;

    private static int[] Approximate(FeatureMatrix features, int k, NnDescent.Settings settings) =>
        NnDescent.Search<float>(features, SpatialOrder.Compute(features), k, settings, [], null, default).Neighbours;

    /// <summary>The fraction of every row's exact k neighbours that its approximate list holds.</summary>
    private static double Recall(int[] exact, int[] approximate, int k)
    {
        long found = 0;
        for (int row = 0; row < exact.Length / k; row++)
            foreach (int neighbour in exact.AsSpan(row * k, k))
                if (approximate.AsSpan(row * k, k).Contains(neighbour)) found++;
        return (double)found / exact.Length;
    }

    [Theory]
    [InlineData(11, 1003, 7, 5, "uniform")]
    [InlineData(12, 4999, 33, 11, "uniform")]
    [InlineData(13, 4999, 7, 11, "blobs")]
    [InlineData(14, 1003, 33, 5, "blobs")]
    [InlineData(15, 2011, 64, 7, "blobs")]
    public void FindsMostOfTheExactNeighbours(int seed, int n, int d, int k, string kind)
    {
        var features = kind == "uniform" ? Uniform(seed, n, d) : Blobs(seed, n, d);
        var exact = Exact(features, k);
        var approximate = Approximate(features, k, NnDescent.Settings.Default);
        double recall = Recall(exact, approximate, k);
        output.WriteLine($"seed {seed}, {n} x {d} {kind}, k {k}: recall {recall:F4}");
        Assert.True(recall >= 0.95, $"seed {seed}, {n} x {d} {kind}, k {k}: recall {recall:F4} below 0.95");
        for (int row = 0; row < n; row++)
        {
            var list = approximate.AsSpan(row * k, k);
            Assert.Equal(row, list[0]); // no duplicate rows: the row itself comes first, as in the exact search
            Assert.Equal(k, list.ToArray().Distinct().Count());
        }
    }

    /// <summary>Without its rounds the search keeps the lists it started from: far from the bound, so the rounds do the work.</summary>
    [Fact]
    public void TheRoundsDoTheWork()
    {
        const int seed = 21, n = 3001, d = 33, k = 7;
        var features = Uniform(seed, n, d);
        var exact = Exact(features, k);
        double initial = Recall(exact, Approximate(features, k, NnDescent.Settings.Default with { MaxIterations = 0 }), k);
        double descended = Recall(exact, Approximate(features, k, NnDescent.Settings.Default), k);
        output.WriteLine($"seed {seed}: recall {initial:F4} from the initial lists, {descended:F4} after the rounds");
        Assert.True(initial < 0.6, $"seed {seed}: the initial lists alone reach {initial:F4}");
        Assert.True(descended >= 0.95, $"seed {seed}: recall {descended:F4} after the rounds");
    }

    /// <summary>Short lists and few rounds leave the lists short of exact, so that they depend on every sample (and would show a race).</summary>
    [Fact]
    public void TheSameInputAndSeedGiveTheSameLists()
    {
        var features = Uniform(31, 20011, 17);
        var settings = NnDescent.Settings.Default with { Spare = 3, ReverseRate = 0.5, MaxIterations = 3 };
        var first = Approximate(features, 9, settings);
        Assert.Equal(first, Approximate(features, 9, settings));
        Assert.NotEqual(first, Approximate(features, 9, settings with { Seed = 7 }));
        Assert.True(Recall(Exact(features, 9), first, 9) < 0.9);
    }

    /// <summary>Duplicate rows tie at distance 0: like the exact search, the lower index comes first, the row itself among them.</summary>
    [Fact]
    public void DuplicatesTieToTheLowerIndexAsInTheExactSearch()
    {
        var distinct = Blobs(41, 101, 5);
        var values = new float[3 * 101 * 5];
        for (int copy = 0; copy < 3; copy++) distinct.Single!.CopyTo(values, copy * 101 * 5);
        var features = FeatureMatrix.FromSingle(values, 303, 5);
        Assert.Equal(Exact(features, 5), Approximate(features, 5, NnDescent.Settings.Default));
    }

    /// <summary>The sampled recall a fit reports is the exact search's answer on those rows: short lists make it well below 1.</summary>
    [Fact]
    public void RecallIsMeasuredOnASeededSampleAgainstTheExactSearch()
    {
        const int seed = 51, n = 3001, d = 33, k = 6;
        var features = Uniform(seed, n, d);
        var sample = KnnRecall.SampleRows(n, 200, seed: 3);
        Assert.Equal(sample, KnnRecall.SampleRows(n, 200, seed: 3));
        Assert.Equal(200, sample.Distinct().Count());
        Assert.Equal(sample.Order(), sample);
        Assert.Equal(Enumerable.Range(0, 40), KnnRecall.SampleRows(40, 1000, seed: 3));
        var settings = NnDescent.Settings.Default with { Spare = 2, ReverseRate = 0.5, MaxIterations = 2 };
        var found = NnDescent.Search<float>(features, SpatialOrder.Compute(features), k, settings, sample, null, default);
        var exact = Exact(features, k);
        double expected = sample.Average(row => exact.AsSpan(row * k, k).ToArray().Count(j => found.Neighbours.AsSpan(row * k, k).Contains(j))) / k;
        output.WriteLine($"seed {seed}: sampled recall {found.Recall:F4}, expected {expected:F4}");
        Assert.Equal(expected, found.Recall, 12);
        Assert.InRange(found.Recall, 0.1, 0.9);
    }

    [Fact]
    public void AutoIsLeftToTheCostModelWhereTheEngineHasBothSearches()
    {
        var options = DiffusionOptions.Spreading();
        var cpu = new CpuEngine().Capabilities;
        Assert.Equal(KnnSearchMethod.Auto, options.KnnSearch);
        Assert.Equal(KnnSearchMethod.Auto, cpu.KnnSearchFor(options));
        Assert.Equal(KnnSearchMethod.Exact, cpu.KnnSearchFor(options with { KnnSearch = KnnSearchMethod.Exact }));
        Assert.Equal(KnnSearchMethod.Approximate, cpu.KnnSearchFor(options with { KnnSearch = KnnSearchMethod.Approximate }));
        // An engine without the approximate search runs auto exactly.
        Assert.Equal(KnnSearchMethod.Exact, GpuEngine.DeclaredCapabilities.KnnSearchFor(options));
        var error = Assert.Throws<InvalidParameterException>(() => (options with { KnnSearch = (KnnSearchMethod)7 }).Validate(100));
        Assert.Equal("knn_search", error.Parameter);
    }

    [Fact]
    public void TheCpuEngineReportsWhichSearchItRan()
    {
        var features = Blobs(61, 1201, 8);
        var options = DiffusionOptions.Spreading() with { Kernel = AffinityKernel.Knn };
        using var engine = new CpuEngine();
        using (var auto = engine.BuildGraph(features, options))
            Assert.Equal(KnnSearchReport.Exact, auto.KnnSearchReport);
        using (var approximate = engine.BuildGraph(features, options with { KnnSearch = KnnSearchMethod.Approximate }))
        {
            var report = approximate.KnnSearchReport!;
            output.WriteLine($"{report}");
            Assert.Equal(KnnSearchMethod.Approximate, report.Method);
            Assert.Equal(1000, report.RecallSample);
            Assert.True(report.Recall >= 0.95 && report.Recall <= 1, $"recall {report.Recall}");
        }
        using var rbf = engine.BuildGraph(features, DiffusionOptions.Spreading() with { KnnSearch = KnnSearchMethod.Approximate });
        Assert.Null(rbf.KnnSearchReport);
    }

    /// <summary>Spreading over the approximate graph labels a clustered case as the exact graph does, and predicts new rows.</summary>
    [Theory]
    [InlineData(Precision.Float32)]
    [InlineData(Precision.Float64)]
    public void ApproximateAndExactGraphsGiveTheSamePredictions(Precision precision)
    {
        const int seed = 71, n = 2999, classes = 6;
        var (x, truth) = TestData.Blobs(seed, n, 12, classes, sigma: 0.35);
        var labels = Array.ConvertAll(TestData.PartialLabels(seed, truth, classes, 0.02), l => (long)l);
        var features = TestData.ToMatrix(x, precision);
        using var engine = new CpuEngine();
        using var exact = new LabelSpreading(engine) { Kernel = AffinityKernel.Knn, Precision = precision, KnnSearch = KnnSearchMethod.Exact };
        using var approximate = new LabelSpreading(engine) { Kernel = AffinityKernel.Knn, Precision = precision, KnnSearch = KnnSearchMethod.Approximate };
        exact.Fit(features, labels);
        approximate.Fit(features, labels);
        double agreement = exact.Transduction.Zip(approximate.Transduction, (a, b) => a == b ? 1.0 : 0.0).Average();
        output.WriteLine($"seed {seed} {precision}: agreement {agreement:F4}, recall {approximate.KnnSearchReport!.Recall:F4}");
        Assert.True(agreement >= 0.995, $"seed {seed}: the graphs agree on {agreement:P2} of the rows");
        Assert.Equal(KnnSearchMethod.Exact, exact.KnnSearchReport!.Method);
        Assert.Equal(KnnSearchMethod.Approximate, approximate.KnnSearchReport!.Method);
        var newRows = TestData.ToMatrix(TestData.Blobs(seed, 25, 12, classes, sigma: 0.35).X, precision);
        Assert.Equal(exact.Predict(newRows), approximate.Predict(newRows));
    }

    [Fact]
    public void TheGpuEngineRefusesTheApproximateSearchAndRunsAutoExactly()
    {
        var features = Blobs(81, 64, 4);
        var options = DiffusionOptions.Spreading() with { Kernel = AffinityKernel.Knn, NNeighbors = 5 };
        using var engine = GpuEngine.CreateSimulator();
        var error = Assert.Throws<EngineCapabilityException>(() => engine.BuildGraph(features, options with { KnnSearch = KnnSearchMethod.Approximate }));
        Assert.Equal("the gpu-sim engine cannot run the approximate kNN search (knn_search='approximate', NN-descent); the cpu engine can", error.Message);
        using var graph = engine.BuildGraph(features, options);
        Assert.Equal(KnnSearchReport.Exact, graph.KnnSearchReport);
    }
}
