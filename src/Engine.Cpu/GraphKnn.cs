using System.Numerics;

namespace GpuSpread.Engine.Cpu;

/// <summary>The CPU engine's neighbour lists for the knn kernel: the exact tiled search or NN-descent.</summary>
internal static class GraphKnn
{
    /// <summary>
    /// Every row's <paramref name="k"/> nearest rows (original order, nearest first, the row itself included), by the search
    /// <paramref name="search"/> (resolved from auto): the exact tiled search, or NN-descent with its recall measured against a
    /// brute-force search of a sample of rows. The exact search's training side, which predicting new rows needs, is
    /// kept from the exact search, and built on first use after NN-descent (twice the features' size: a fit need not hold it).
    /// </summary>
    public static KnnLists<T> Find<T>(FeatureMatrix features, DiffusionOptions options, KnnSearchMethod search, int k,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowTile = options.RowTile ?? CpuEngine.DefaultRowTile;
        int columnTile = options.ColumnTile ?? CpuEngine.ColumnTileFor(features.Rows);
        var centre = features.Scales.Centre;
        var order = SpatialOrder.Compute(features);
        if (search == KnnSearchMethod.Exact)
        {
            var columns = KnnSearch.CreateColumns<T>(features, centre, order, columnTile);
            return new KnnLists<T>(KnnSearch.SearchTraining(columns, k, rowTile, progress, cancellation), KnnSearchReport.Exact, new Lazy<KnnSearch.Columns<T>>(columns));
        }
        var sample = KnnRecall.SampleRows(features.Rows, KnnRecall.DefaultSampleRows, seed: 0);
        var found = NnDescent.Search<T>(features, order, k, NnDescent.Settings.Default, sample, progress, cancellation);
        // NN-descent's buffers (several times the lists' size) are garbage now, but the collector would let the operator and
        // the diffusion allocate on top of them first, raising the fit's peak memory.
        GC.Collect();
        return new KnnLists<T>(found.Neighbours, new KnnSearchReport(KnnSearchMethod.Approximate, sample.Length, found.Recall),
            new Lazy<KnnSearch.Columns<T>>(() => KnnSearch.CreateColumns<T>(features, centre, order, columnTile)));
    }
}

/// <summary>A knn kernel's neighbour lists (n x k by original row), how they were found, and the exact search's training side for new rows.</summary>
internal sealed record KnnLists<T>(int[] Neighbours, KnnSearchReport Report, Lazy<KnnSearch.Columns<T>> Columns)
    where T : unmanaged, IFloatingPointIeee754<T>;
