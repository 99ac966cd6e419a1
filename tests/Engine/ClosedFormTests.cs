using GpuSpread.Tests.Reference;
using MathNet.Numerics.LinearAlgebra;
using Xunit.Abstractions;

namespace GpuSpread.Tests.Engine;

/// <summary>
/// The fixed points of both loops against their closed forms, solved with MathNet: spreading converges to
/// <c>(1 - alpha)(I - alpha S)^-1 Y0</c>, propagation to Zhu's harmonic solution
/// <c>F_u = (I - T_uu)^-1 T_ul Y_l</c>. Rows are compared after normalisation.
/// </summary>
public class ClosedFormTests(ITestOutputHelper output)
{
    public static TheoryData<string, AffinityKernel, Precision> Cases()
    {
        var data = new TheoryData<string, AffinityKernel, Precision>();
        foreach (var engine in TestData.EngineNames)
            foreach (var kernel in new[] { AffinityKernel.Rbf, AffinityKernel.Knn })
                foreach (var precision in new[] { Precision.Float32, Precision.Float64 })
                    data.Add(engine, kernel, precision);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SpreadingReachesClosedForm(string engineName, AffinityKernel kernel, Precision precision)
    {
        const int seed = 5, n = 53, d = 5, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, d, classes, sigma: 0.4);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.1);
        var options = DiffusionOptions.Spreading() with
        {
            // float32 weights are rounded afresh as F's log-scales move, which puts a floor near 1e-9 under the change.
            Kernel = kernel, Gamma = 1, NNeighbors = 6, Alpha = 0.7, MaxIter = 5000, Tol = precision == Precision.Float64 ? 1e-12 : 1e-6,
            Precision = precision,
            RowTile = 7, ColumnTile = 21,
        };
        var rounded = TestData.Rounded(x, precision);
        var s = Matrix<double>.Build.DenseOfArray(DenseReference.Operator(DenseReference.Affinity(rounded, options), DiffusionModel.Spreading));
        var y0 = Matrix<double>.Build.Dense(n, classes, (i, c) => labels[i] == c ? 1 : 0);
        var closed = (Matrix<double>.Build.DenseIdentity(n) - options.Alpha * s).Solve((1 - options.Alpha) * y0);

        using var engine = TestData.CreateEngine(engineName);
        var fitted = TestData.Fit(engine, x, labels, classes, options);
        AssertRowsMatch(fitted.Distributions, Normalised(closed), precision);
        Assert.True(fitted.Converged);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PropagationReachesHarmonicSolution(string engineName, AffinityKernel kernel, Precision precision)
    {
        const int seed = 8, n = 47, d = 3, classes = 3;
        var (x, truth) = TestData.Blobs(seed, n, d, classes, sigma: 0.4);
        var labels = TestData.PartialLabels(seed, truth, classes, 0.15);
        var options = DiffusionOptions.Propagation() with
        {
            Kernel = kernel, Gamma = 1, NNeighbors = 9, MaxIter = 20000, Tol = 1e-11, Precision = precision,
            RowTile = 5, ColumnTile = 33,
        };
        var rounded = TestData.Rounded(x, precision);
        var t = DenseReference.Operator(DenseReference.Affinity(rounded, options), DiffusionModel.Propagation);
        int[] unlabeled = Enumerable.Range(0, n).Where(i => labels[i] < 0).ToArray();
        int[] labeled = Enumerable.Range(0, n).Where(i => labels[i] >= 0).ToArray();
        var tuu = Matrix<double>.Build.Dense(unlabeled.Length, unlabeled.Length, (a, b) => t[unlabeled[a], unlabeled[b]]);
        var tul = Matrix<double>.Build.Dense(unlabeled.Length, labeled.Length, (a, b) => t[unlabeled[a], labeled[b]]);
        var yl = Matrix<double>.Build.Dense(labeled.Length, classes, (a, c) => labels[labeled[a]] == c ? 1 : 0);
        var fu = (Matrix<double>.Build.DenseIdentity(unlabeled.Length) - tuu).Solve(tul * yl);
        var harmonic = Matrix<double>.Build.Dense(n, classes);
        for (int a = 0; a < unlabeled.Length; a++) harmonic.SetRow(unlabeled[a], fu.Row(a));
        for (int a = 0; a < labeled.Length; a++) harmonic.SetRow(labeled[a], yl.Row(a));

        using var engine = TestData.CreateEngine(engineName);
        var fitted = TestData.Fit(engine, x, labels, classes, options);
        AssertRowsMatch(fitted.Distributions, Normalised(harmonic), precision);
    }

    private static double[,] Normalised(Matrix<double> f)
    {
        var result = f.ToArray();
        for (int i = 0; i < f.RowCount; i++)
        {
            double sum = f.Row(i).Sum();
            for (int c = 0; c < f.ColumnCount; c++) result[i, c] = sum == 0 ? 0 : result[i, c] / sum;
        }
        return result;
    }

    private void AssertRowsMatch(double[] actual, double[,] expected, Precision precision)
    {
        double difference = TestData.MaxDifference(actual, expected);
        output.WriteLine($"max |difference| to the closed form: {difference:E3}");
        double tolerance = precision == Precision.Float64 ? 1e-8 : 1e-4;
        Assert.True(difference < tolerance, $"max difference {difference:E3} exceeds {tolerance:E1}");
    }
}
