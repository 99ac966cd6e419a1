using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// One cell far out (a sentinel such as 1e8 for "missing") must not change any other row's result: every engine, both
/// kernels and both precisions against the dense float64 reference, which takes distances by direct differences. The
/// rule is that a fit is right or refused; a single far cell must not even be refused. Sentinels shared by several rows
/// are right (knn, repaired exactly) or refused with the row and column named (rbf, where even float64 cancels).
/// </summary>
public class PlantedOutlierTests(ITestOutputHelper output)
{
    public static TheoryData<string, AffinityKernel, Precision, double, int> Cases()
    {
        var data = new TheoryData<string, AffinityKernel, Precision, double, int>();
        int seed = 100;
        foreach (var engine in TestData.EngineNames)
            foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
                foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                    foreach (double magnitude in new[] { 1e6, 1e12, 1e20, 1e38, -3e38 })
                        data.Add(engine, kernel, precision, magnitude, seed++);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneFarCellChangesNothingElse(string engineName, AffinityKernel kernel, Precision precision, double magnitude, int seed)
    {
        using var engine = TestData.CreateEngine(engineName);
        var random = new Random(seed);
        int n = 41 + 2 * random.Next(10), d = 3 + 2 * random.Next(3), classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, d, classes);
        int row = random.Next(n), column = random.Next(d);
        x[row, column] = magnitude;
        var labels = TestData.PartialLabels(seed, truth, classes, 0.2);
        var options = DiffusionOptions.Spreading() with
        {
            Kernel = kernel, Gamma = 1.5, NNeighbors = 5, Precision = precision, RowTile = 5, ColumnTile = 19,
        };
        output.WriteLine($"seed {seed}: n={n} d={d}, x[{row},{column}] = {magnitude:G3}, {options}");

        var (estimator, distributions) = FitEstimator(engine, x, labels, options);
        using (estimator)
        {
            var expected = DenseReference.Fit(x, labels, classes, options with { Precision = Precision.Float64 });
            double tolerance = estimator.FitPrecision == Precision.Float64 ? 1e-9 : 1e-4;
            double difference = TestData.MaxDifference(distributions, expected.Distributions);
            output.WriteLine($"fit in {estimator.FitPrecision} ({estimator.PrecisionEscalation ?? "as asked"}): max |difference| {difference:E3}");
            Assert.True(difference < tolerance, $"seed {seed}: max difference {difference:E3} exceeds {tolerance:E1}");
            Assert.Equal(expected.NIter, estimator.NIter);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void Float32BeyondItsRangeRunsInFloat64AndSaysSo(string engineName)
    {
        using var engine = TestData.CreateEngine(engineName);
        var (x, truth) = TestData.Blobs(5, 45, 3, 2);
        x[7, 1] = 1e39;
        var labels = TestData.PartialLabels(5, truth, 2, 0.2);
        var options = DiffusionOptions.Spreading() with { Gamma = 1.5, Precision = Precision.Float32 };
        var (estimator, distributions) = FitEstimator(engine, x, labels, options);
        using (estimator)
        {
            Assert.Equal(Precision.Float64, estimator.FitPrecision);
            Assert.StartsWith("row 8, column 2 holds 1E+39 (the column's median is ", estimator.PrecisionEscalation);
            var expected = DenseReference.Fit(x, labels, 2, options with { Precision = Precision.Float64 });
            Assert.True(TestData.MaxDifference(distributions, expected.Distributions) < 1e-9);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void AnEngineAskedForFloat32BeyondItsRangeRefuses(string engineName)
    {
        var (x, _) = TestData.Blobs(5, 45, 3, 2);
        x[7, 1] = 1e39;
        using var engine = TestData.CreateEngine(engineName);
        var error = Assert.Throws<FeatureRangeException>(() =>
            engine.BuildGraph(TestData.ToMatrix(x, Precision.Float64), DiffusionOptions.Spreading() with { Precision = Precision.Float32 }));
        Assert.Equal((7, 1), (error.Row, error.Column));
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void SentinelsSharedByRowsAreRefusedForRbf(string engineName)
    {
        using var engine = TestData.CreateEngine(engineName);
        var (x, truth) = TestData.Blobs(9, 51, 5, 3);
        foreach (int row in new[] { 4, 17, 30 }) x[row, 2] = -999999999;
        var labels = TestData.PartialLabels(9, truth, 3, 0.2);
        foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
        {
            var options = DiffusionOptions.Spreading() with { Gamma = 1.5, Precision = precision };
            var error = Assert.Throws<FeatureRangeException>(() => FitEstimator(engine, x, labels, options));
            output.WriteLine(error.Message);
            Assert.Equal(2, error.Column);
            Assert.Contains("column 3 holds -1E+09", error.Message);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void SentinelsSharedByRowsAreRightForKnn(string engineName)
    {
        using var engine = TestData.CreateEngine(engineName);
        var (x, truth) = TestData.Blobs(9, 51, 5, 3);
        foreach (int row in new[] { 4, 17, 30, 31, 40, 44 }) x[row, 2] = -999999999;
        var labels = TestData.PartialLabels(9, truth, 3, 0.2);
        var options = DiffusionOptions.Spreading() with { Kernel = AffinityKernel.Knn, NNeighbors = 4, Precision = Precision.Float32 };
        var (estimator, distributions) = FitEstimator(engine, x, labels, options);
        using (estimator)
        {
            var expected = DenseReference.Fit(x, labels, 3, options with { Precision = Precision.Float64 });
            Assert.True(TestData.MaxDifference(distributions, expected.Distributions) < 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void WithoutTheUnderflowCutAFarRowIsRefused(string engineName)
    {
        using var engine = TestData.CreateEngine(engineName);
        var (x, truth) = TestData.Blobs(3, 45, 3, 2);
        x[11, 0] = 1e8;
        var labels = TestData.PartialLabels(3, truth, 2, 0.2);
        var options = DiffusionOptions.Spreading() with { Gamma = 1.5, Float64UnderflowCut = false };
        var error = Assert.Throws<FeatureRangeException>(() => FitEstimator(engine, x, labels, options));
        Assert.Equal((11, 0), (error.Row, error.Column));
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void BeyondFloat64sRangeIsRefused(string engineName)
    {
        using var engine = TestData.CreateEngine(engineName);
        var (x, truth) = TestData.Blobs(3, 45, 3, 2);
        x[20, 2] = 1e200;
        var labels = TestData.PartialLabels(3, truth, 2, 0.2);
        foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
        {
            var error = Assert.Throws<FeatureRangeException>(() =>
                FitEstimator(engine, x, labels, DiffusionOptions.Spreading() with { Kernel = kernel, Precision = Precision.Float64 }));
            Assert.Equal((20, 2), (error.Row, error.Column));
            Assert.Contains("row 21, column 3 holds 1E+200", error.Message);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Engines), MemberType = typeof(TestData))]
    public void NewRowsWithAFarCellArePredictedRightOrRefused(string engineName)
    {
        using var engine = TestData.CreateEngine(engineName);
        var (all, truth) = TestData.Blobs(21, 58, 5, 3);
        var x = TestData.Slice(all, 0, 51);
        var xNew = TestData.Slice(all, 51, 7);
        xNew[2, 4] = 1e8;
        xNew[5, 0] = -3e15;
        var labels = TestData.PartialLabels(21, truth[..51], 3, 0.2);
        foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
        {
            var options = DiffusionOptions.Spreading() with { Kernel = kernel, Gamma = 1.5, NNeighbors = 5, Precision = Precision.Float32 };
            var (estimator, _) = FitEstimator(engine, x, labels, options);
            using (estimator)
            {
                Assert.Equal(Precision.Float32, estimator.FitPrecision);
                var proba = estimator.PredictProba(TestData.ToMatrix(xNew, Precision.Float64));
                var fitted = DenseReference.Fit(x, labels, 3, options with { Precision = Precision.Float64 }).Distributions;
                var expected = DenseReference.PredictProba(x, fitted, xNew, options);
                double difference = TestData.MaxDifference(proba, expected);
                output.WriteLine($"{kernel}: max |difference| {difference:E3}");
                Assert.True(difference < 1e-4, $"{kernel}: new rows differ by {difference:E3}");

                xNew[3, 1] = 1e39;
                var error = Assert.Throws<FeatureRangeException>(() => estimator.PredictProba(TestData.ToMatrix(xNew, Precision.Float64)));
                Assert.Equal((3, 1), (error.Row, error.Column));
                Assert.StartsWith("new row 4, column 2 holds 1E+39", error.Message);
                xNew[3, 1] = 0;
            }
        }
    }

    private static (LabelDiffusion Estimator, double[] Distributions) FitEstimator(IDiffusionEngine engine, double[,] x, int[] labels, DiffusionOptions options)
    {
        var estimator = new LabelDiffusion(engine, options);
        try
        {
            estimator.Fit(TestData.ToMatrix(x, Precision.Float64), Array.ConvertAll(labels, l => (long)l));
            return (estimator, estimator.Result.Distributions);
        }
        catch
        {
            estimator.Dispose();
            throw;
        }
    }
}
