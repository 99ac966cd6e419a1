using GpuSpread.Graphs;
using GpuSpread.Experiments;
using GpuSpread.Tests.Graphs;
using GpuSpread.Tests.Reference;

namespace GpuSpread.Tests.Citation;

/// <summary>The normalised adjacency and Correct-and-Smooth against dense transcriptions of their definitions.</summary>
public class CorrectAndSmoothTests
{
    private const int N = 23, Classes = 3;

    private static (SparseGraph Graph, double[] Z, int[] Train, int[] TrainClasses) Data()
    {
        var random = new Random(17);
        var sources = new List<int>();
        var targets = new List<int>();
        var weights = new List<double>();
        for (int e = 0; e < 40; e++)
        {
            int i = random.Next(N), j = random.Next(N);
            if (i == 7 || j == 7) continue; // an isolated node
            sources.Add(i);
            targets.Add(j);
            weights.Add(0.5 + random.NextDouble());
        }
        var z = new double[N * Classes];
        for (int i = 0; i < N; i++)
        {
            double sum = 0;
            for (int c = 0; c < Classes; c++) sum += z[i * Classes + c] = random.NextDouble();
            for (int c = 0; c < Classes; c++) z[i * Classes + c] /= sum;
        }
        return (SparseGraph.FromEdges(N, sources.ToArray(), targets.ToArray(), weights.ToArray()), z, [0, 3, 7, 12, 20], [0, 1, 2, 1, 0]);
    }

    /// <summary>D^-1/2 (W + s I) D^-1/2 with row-sum degrees, zero degrees counting as 1.</summary>
    private static double[,] DenseS(SparseGraph graph, double selfLoop)
    {
        var w = DenseGraphReference.Dense(graph);
        int n = graph.Nodes;
        for (int i = 0; i < n; i++) w[i, i] += selfLoop;
        var degree = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) degree[i] += w[i, j];
        var s = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) s[i, j] = w[i, j] / Math.Sqrt((degree[i] == 0 ? 1 : degree[i]) * (degree[j] == 0 ? 1 : degree[j]));
        return s;
    }

    private static double[,] ToMatrix(double[] values, int columns)
    {
        var m = new double[values.Length / columns, columns];
        for (int k = 0; k < values.Length; k++) m[k / columns, k % columns] = values[k];
        return m;
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void NormalisedAdjacencyIsTheDenseOne(double selfLoop)
    {
        var (graph, z, _, _) = Data();
        var s = new NormalisedAdjacency(graph, selfLoop);
        var expected = DenseReference.Multiply(DenseReference.Multiply(DenseS(graph, selfLoop), DenseS(graph, selfLoop)), ToMatrix(z, Classes));
        Assert.True(TestData.MaxDifference(s.Power(z, Classes, 2), expected) < 1e-14);
    }

    /// <summary>PyTorch Geometric's CorrectAndSmooth, transcribed on dense matrices.</summary>
    private static double[,] Reference(double[,] s, double[,] z, int[] train, int[] trainClasses, CorrectAndSmoothOptions o)
    {
        int n = z.GetLength(0), c = z.GetLength(1);
        double[,] Propagate(double[,] y0, double alpha, int steps, Action<double[,]> post)
        {
            var y = (double[,])y0.Clone();
            for (int t = 0; t < steps; t++)
            {
                var next = DenseReference.Multiply(s, y);
                for (int i = 0; i < n; i++)
                    for (int k = 0; k < c; k++) next[i, k] = alpha * next[i, k] + (1 - alpha) * y0[i, k];
                post(next);
                y = next;
            }
            return y;
        }
        var error = new double[n, c];
        for (int t = 0; t < train.Length; t++)
            for (int k = 0; k < c; k++) error[train[t], k] = (k == trainClasses[t] ? 1 : 0) - z[train[t], k];
        var corrected = (double[,])z.Clone();
        if (o.Autoscale)
        {
            var e = Propagate(error, o.CorrectAlpha, o.CorrectIterations, m => { for (int i = 0; i < n; i++) for (int k = 0; k < c; k++) m[i, k] = Math.Clamp(m[i, k], -1, 1); });
            double sigma = train.Sum(i => Enumerable.Range(0, c).Sum(k => Math.Abs(error[i, k]))) / train.Length;
            for (int i = 0; i < n; i++)
            {
                double norm = Enumerable.Range(0, c).Sum(k => Math.Abs(e[i, k]));
                double scale = sigma / norm;
                if (double.IsInfinity(scale) || double.IsNaN(scale) || scale > 1000) scale = 1;
                for (int k = 0; k < c; k++) corrected[i, k] += scale * e[i, k];
            }
        }
        else
        {
            var e = Propagate(error, o.CorrectAlpha, o.CorrectIterations, m => { foreach (int i in train) for (int k = 0; k < c; k++) m[i, k] = error[i, k]; });
            for (int i = 0; i < n; i++) for (int k = 0; k < c; k++) corrected[i, k] += o.Scale * e[i, k];
        }
        for (int t = 0; t < train.Length; t++)
            for (int k = 0; k < c; k++) corrected[train[t], k] = k == trainClasses[t] ? 1 : 0;
        return Propagate(corrected, o.SmoothAlpha, o.SmoothIterations, m => { for (int i = 0; i < n; i++) for (int k = 0; k < c; k++) m[i, k] = Math.Clamp(m[i, k], 0, 1); });
    }

    [Theory]
    [InlineData(true, 0.9, 0.8, 1.0)]
    [InlineData(false, 1.0, 0.5, 3.0)]
    [InlineData(true, 0.0, 0.0, 1.0)]
    public void CorrectAndSmoothIsTheDefinition(bool autoscale, double correctAlpha, double smoothAlpha, double scale)
    {
        var (graph, z, train, trainClasses) = Data();
        var options = new CorrectAndSmoothOptions
        {
            Autoscale = autoscale, CorrectAlpha = correctAlpha, SmoothAlpha = smoothAlpha, Scale = scale, CorrectIterations = 17, SmoothIterations = 13,
        };
        var actual = CorrectAndSmooth.Run(new NormalisedAdjacency(graph), z, Classes, train, trainClasses, options);
        var expected = Reference(DenseS(graph, 0), ToMatrix(z, Classes), train, trainClasses, options);
        Assert.True(TestData.MaxDifference(actual, expected) < 1e-13);
    }

    [Fact]
    public void WithoutPropagationTrainingRowsBecomeTheirLabels()
    {
        // alpha = 0 everywhere: the correction spreads nothing beyond the training rows, the smoothing keeps G0.
        var (graph, z, train, trainClasses) = Data();
        var result = CorrectAndSmooth.Run(new NormalisedAdjacency(graph), z, Classes, train, trainClasses,
            new CorrectAndSmoothOptions { CorrectAlpha = 0, SmoothAlpha = 0 });
        for (int t = 0; t < train.Length; t++)
            for (int c = 0; c < Classes; c++) Assert.Equal(c == trainClasses[t] ? 1.0 : 0.0, result[train[t] * Classes + c]);
        Assert.Equal(z.AsSpan(Classes, Classes).ToArray(), result.AsSpan(Classes, Classes).ToArray()); // row 1: untouched
        Assert.Throws<InvalidParameterException>(() => new CorrectAndSmoothOptions { SmoothAlpha = 2 }.Validate());
    }
}
