using System.Text.Json;
using GpuSpread.Experiments.Linear;
using GpuSpread.Tests.Graphs;

namespace GpuSpread.Tests.Citation;

/// <summary>L-BFGS on known minima, and the softmax regression against scikit-learn's LogisticRegression.</summary>
public class LinearModelTests(ITestOutputHelper output)
{
    [Fact]
    public void LbfgsFindsTheRosenbrockMinimum()
    {
        static double Rosenbrock(double[] x, double[] g)
        {
            double a = 1 - x[0], b = x[1] - x[0] * x[0];
            g[0] = -2 * a - 400 * x[0] * b;
            g[1] = 200 * b;
            return a * a + 100 * b * b;
        }
        var result = Lbfgs.Minimise(Rosenbrock, [-1.2, 1.0], new LbfgsOptions { GradientTolerance = 1e-10, RelativeDecrease = 0 });
        output.WriteLine($"{result.Iterations} iterations, f = {result.Value:E3}, {result.Status}");
        Assert.Equal(LbfgsStatus.Converged, result.Status);
        Assert.Equal(1, result.X[0], 6);
        Assert.Equal(1, result.X[1], 6);
    }

    [Fact]
    public void LbfgsSolvesAnIllConditionedQuadratic()
    {
        // f = sum_i s_i (x_i - i)^2 / 2 with scales from 1e-2 to 1e2 (condition number 1e4).
        double[] scales = Enumerable.Range(0, 20).Select(i => Math.Pow(10, -2 + 4.0 * i / 19)).ToArray();
        double Quadratic(double[] x, double[] g)
        {
            double f = 0;
            for (int i = 0; i < x.Length; i++)
            {
                g[i] = scales[i] * (x[i] - i);
                f += 0.5 * scales[i] * (x[i] - i) * (x[i] - i);
            }
            return f;
        }
        var result = Lbfgs.Minimise(Quadratic, new double[20], new LbfgsOptions { GradientTolerance = 1e-9, RelativeDecrease = 0 });
        Assert.Equal(LbfgsStatus.Converged, result.Status);
        for (int i = 0; i < 20; i++) Assert.Equal(i, result.X[i], 6);
    }

    [Fact]
    public void LbfgsReportsNonConvergenceAsAStatus()
    {
        var result = Lbfgs.Minimise((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) * (x[0] - 3) + 1; }, [100.0],
            new LbfgsOptions { MaxIterations = 1, GradientTolerance = 0, RelativeDecrease = 0 });
        Assert.Equal(LbfgsStatus.StoppedWithoutConvergence, result.Status);
    }

    [Fact]
    public void SoftmaxRegressionMatchesScikitLearn()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Require("tests", "Citation", "fixtures", "softmax_regression.json")));
        var root = document.RootElement;
        var x = GraphFixture.Matrix(root.GetProperty("X"));
        var xNew = GraphFixture.Matrix(root.GetProperty("X_new"));
        int[] y = root.GetProperty("y").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        int classes = root.GetProperty("classes").GetInt32();
        int m = x.GetLength(0), d = x.GetLength(1);
        foreach (var @case in root.GetProperty("cases").EnumerateArray())
        {
            double lambda = @case.GetProperty("lambda").GetDouble();
            var model = SoftmaxRegression.Train(Flatten(x), d, Enumerable.Range(0, m).ToArray(), y, classes, lambda,
                new LbfgsOptions { GradientTolerance = 1e-12, RelativeDecrease = 0, MaxIterations = 10_000 });
            var coef = GraphFixture.Matrix(@case.GetProperty("coef")); // c x d
            double worstWeight = 0;
            for (int f = 0; f < d; f++)
                for (int c = 0; c < classes; c++) worstWeight = Math.Max(worstWeight, Math.Abs(model.Weights[f * classes + c] - coef[c, f]));
            var proba = model.PredictProba(Flatten(xNew), xNew.GetLength(0));
            double worstProba = TestData.MaxDifference(proba, GraphFixture.Matrix(@case.GetProperty("predict_proba")));
            output.WriteLine($"lambda {lambda}: weights {worstWeight:E2}, predict_proba {worstProba:E2}, {model.Fit.Iterations} iterations, {model.Fit.Status}");
            Assert.Equal(LbfgsStatus.Converged, model.Fit.Status);
            Assert.True(worstWeight < 1e-5, $"weights differ from scikit-learn's by {worstWeight:E2}");
            Assert.True(worstProba < 1e-6, $"probabilities differ from scikit-learn's by {worstProba:E2}");
            Assert.All(Enumerable.Range(0, classes), c => Assert.Equal(0.0, model.Weights[2 * classes + c], 9)); // the all-zero feature
        }
    }

    [Fact]
    public void SoftmaxRegressionRejectsBadArguments()
    {
        Assert.Throws<InvalidParameterException>(() => SoftmaxRegression.Train([1.0, 2.0], 1, [0, 1], [0, 1], 2, -1));
        Assert.Throws<ArgumentException>(() => SoftmaxRegression.Train([1.0, 2.0], 1, [0, 1], [0, 2], 2, 0.1));
        Assert.Throws<ArgumentException>(() => SoftmaxRegression.Train([1.0, 2.0], 1, [], [], 2, 0.1));
    }

    internal static double[] Flatten(double[,] x)
    {
        var result = new double[x.Length];
        Buffer.BlockCopy(x, 0, result, 0, result.Length * sizeof(double));
        return result;
    }
}
