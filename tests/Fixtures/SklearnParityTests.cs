
namespace GpuSpread.Tests.Fixtures;

/// <summary>
/// Every engine, in both precisions, against scikit-learn 1.2.1's own outputs (tests/fixtures):
/// distributions within 1e-5 (float32) or 1e-9 (float64), the same n_iter and convergence, the same
/// predictions except on near-ties, and the same inductive predict_proba.
/// </summary>
public class SklearnParityTests(ITestOutputHelper output)
{
    /// <summary>Two classes whose probabilities are closer than this count as a near-tie.</summary>
    private const double NearTie = 1e-4;

    public static TheoryData<string, string, Precision> Cases()
    {
        var data = new TheoryData<string, string, Precision>();
        foreach (var engine in TestData.EngineNames)
            foreach (var fixture in SklearnFixture.Names())
                foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                    data.Add(engine, fixture, precision);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesScikitLearn(string engineName, string fixtureName, Precision precision)
    {
        var fixture = SklearnFixture.Load(fixtureName);
        using var engine = TestData.CreateEngine(engineName);
        var options = fixture.Options with { Precision = precision };
        using LabelDiffusion estimator = fixture.Model == "spreading"
            ? new LabelSpreading(engine)
            {
                Kernel = options.Kernel, Gamma = options.Gamma, NNeighbors = options.NNeighbors, Alpha = options.Alpha,
                MaxIter = options.MaxIter, Tol = options.Tol, Precision = precision,
            }
            : new LabelPropagation(engine)
            {
                Kernel = options.Kernel, Gamma = options.Gamma, NNeighbors = options.NNeighbors,
                MaxIter = options.MaxIter, Tol = options.Tol, Precision = precision,
            };
        estimator.Fit(TestData.ToMatrix(fixture.X, precision), fixture.Y);

        double tolerance = precision == Precision.Float64 ? 1e-9 : 1e-5;
        Assert.Equal(fixture.Classes, estimator.Classes);
        double difference = TestData.MaxDifference(estimator.LabelDistributions, fixture.LabelDistributions);
        output.WriteLine($"{fixtureName} {precision}: max |difference| {difference:E3}, n_iter {estimator.NIter} (sklearn {fixture.NIter})");
        Assert.True(difference < tolerance, $"{fixtureName}: distributions differ from scikit-learn's by {difference:E3} (allowed {tolerance:E0})");
        Assert.Equal(fixture.NIter, estimator.NIter);
        Assert.Equal(fixture.Converged, estimator.Converged);
        AssertSameLabelsExceptNearTies(fixture.Transduction, estimator.Transduction, estimator.Result.Distributions, fixture.Classes.Length);

        if (fixture.XNew.GetLength(0) == 0) return;
        var proba = estimator.PredictProba(TestData.ToMatrix(fixture.XNew, precision));
        int classes = fixture.Classes.Length;
        double probaDifference = 0;
        for (int q = 0; q < fixture.PredictProba.Length; q++)
        {
            var expected = fixture.PredictProba[q];
            for (int c = 0; c < classes; c++)
                // Where scikit-learn divides 0 by 0 (NaN), GpuSpread returns an all-zero row.
                probaDifference = Math.Max(probaDifference, Math.Abs(proba[q, c] - (expected?[c] ?? 0)));
        }
        output.WriteLine($"predict_proba max |difference| {probaDifference:E3}");
        Assert.True(probaDifference < tolerance, $"{fixtureName}: predict_proba differs by {probaDifference:E3}");
    }

    private static void AssertSameLabelsExceptNearTies(long[] expected, long[] actual, double[] distributions, int classes)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] == actual[i]) continue;
            var row = distributions.AsSpan(i * classes, classes).ToArray().OrderDescending().ToArray();
            Assert.True(row.Length > 1 && row[0] - row[1] < NearTie, $"row {i}: label {actual[i]}, scikit-learn {expected[i]}, not a near-tie");
        }
    }
}
