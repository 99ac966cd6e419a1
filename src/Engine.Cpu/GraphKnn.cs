using System.Numerics;

namespace GpuSpread.Engine.Cpu;

/// <summary>The CPU engine's neighbour lists for the knn kernel: the exact tiled search or NN-descent.</summary>
internal static class GraphKnn
{
    /// <summary>
    /// Where auto takes the exact search: while each row would be compared with fewer than this many rows once the
    /// bounds have skipped what they can (n times the share of tiles they leave, plus the subspace bound's own cost).
    /// Beyond it NN-descent, whose cost grows
    /// about as n, is the cheaper: bench/RESULTS.md measures both searches from 70,000 to 1,000,000 rows and finds them
    /// level near 100,000 compared rows (on 64 features: uniform rows, 100,000 compared, 50 s exact against 35 s; one
    /// Gaussian cluster, 46 s against 53 s; 1,000,000 rows in ten clusters, 100,000 compared, 343 s against 355 s).
    /// </summary>
    public const int ExactComparedRows = 100_000;

    /// <summary>How much further the exact search goes with the integer kernel (<see cref="IntegerRows"/>): its fit on
    /// Fashion-MNIST's 70,000 rows fell from 16.0 s to 10.8 s.</summary>
    public const double IntegerKernelReach = 1.5;

    /// <summary>Rows sampled to measure what the tile bounds would skip.</summary>
    private const int PrunabilitySample = 64;

    /// <summary>
    /// Every row's <paramref name="k"/> nearest rows (original order, nearest first, the row itself included), by the search
    /// <paramref name="search"/>: the exact tiled search, NN-descent with its recall measured against a brute-force search of
    /// a sample of rows, or (auto) the cheaper of the two by <see cref="ExactComparedRows"/>. The exact search's training side, which predicting new rows needs, is
    /// kept from the exact search, and built on first use after NN-descent (twice the features' size: a fit need not hold it).
    /// </summary>
    public static KnnLists<T> Find<T>(FeatureMatrix features, DiffusionOptions options, KnnSearchMethod search, int k,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowTile = options.RowTile ?? CpuEngine.DefaultRowTile;
        int columnTile = options.ColumnTile ?? CpuEngine.ColumnTileFor(features.Rows);
        var centre = features.Scales.Centre;
        var (principal, order) = KnnSearch.Arrange(features, centre);
        KnnSearch.Columns<T>? columns = null;
        if (search == KnnSearchMethod.Auto)
        {
            columns = KnnSearch.CreateColumns<T>(features, centre, order, columnTile, principal);
            search = ExactIsCheaper(columns, k, cancellation) ? KnnSearchMethod.Exact : KnnSearchMethod.Approximate;
            if (search == KnnSearchMethod.Approximate) columns = null;
        }
        if (search == KnnSearchMethod.Exact)
        {
            columns ??= KnnSearch.CreateColumns<T>(features, centre, order, columnTile, principal);
            return new KnnLists<T>(KnnSearch.SearchTraining(columns, k, rowTile, progress, cancellation), KnnSearchReport.Exact, new Lazy<KnnSearch.Columns<T>>(columns));
        }
        var sample = KnnRecall.SampleRows(features.Rows, KnnRecall.DefaultSampleRows, seed: 0);
        var found = NnDescent.Search<T>(features, order, k, NnDescent.Settings.Default, sample, progress, cancellation);
        // NN-descent's buffers (several times the lists' size) are garbage now, but the collector would let the operator and
        // the diffusion allocate on top of them first, raising the fit's peak memory.
        GC.Collect();
        return new KnnLists<T>(found.Neighbours, new KnnSearchReport(KnnSearchMethod.Approximate, sample.Length, found.Recall),
            new Lazy<KnnSearch.Columns<T>>(() => KnnSearch.CreateColumns<T>(features, centre, order, columnTile, principal)));
    }

    /// <summary>
    /// The cost model of auto: exact while n times the share of tiles the bounds leave (measured on a sample of rows),
    /// plus n times the subspace bound's share of a full distance where it runs, stays below <see cref="ExactComparedRows"/>,
    /// reached further with the integer kernel. Below that many rows the exact search is taken without measuring.
    /// </summary>
    internal static bool ExactIsCheaper<T>(KnnSearch.Columns<T> columns, int k, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double reach = ExactComparedRows * (columns.Packed.Integer is null ? 1 : IntegerKernelReach);
        int n = columns.Packed.Rows;
        if (n <= reach) return true;
        double left = 1 - KnnSearch.Prunability(columns, k, PrunabilitySample, cancellation);
        double bound = columns.Subspace is null ? 0 : (double)PrincipalCoordinates.BasisDims / columns.Packed.Dims;
        return n * (left + bound) < reach;
    }
}

/// <summary>A knn kernel's neighbour lists (n x k by original row), how they were found, and the exact search's training side for new rows.</summary>
internal sealed record KnnLists<T>(int[] Neighbours, KnnSearchReport Report, Lazy<KnnSearch.Columns<T>> Columns)
    where T : unmanaged, IFloatingPointIeee754<T>;
