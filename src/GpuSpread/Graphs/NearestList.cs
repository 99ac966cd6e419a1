using System.Numerics;

namespace GpuSpread.Graphs;

/// <summary>A row's nearest candidates so far: two parallel spans sorted by distance, then by original index.</summary>
internal static class NearestList
{
    /// <summary>Inserts a candidate when it is nearer than the last (an equal distance: when its index is lower).</summary>
    public static void Insert<T>(T distance, int index, Span<T> bestDistance, Span<int> bestIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int last = bestDistance.Length - 1;
        if (distance > bestDistance[last]) return;
        if (distance == bestDistance[last] && index > bestIndex[last]) return;
        int position = last;
        while (position > 0 && (bestDistance[position - 1] > distance
                                || (bestDistance[position - 1] == distance && bestIndex[position - 1] > index)))
        {
            bestDistance[position] = bestDistance[position - 1];
            bestIndex[position] = bestIndex[position - 1];
            position--;
        }
        bestDistance[position] = distance;
        bestIndex[position] = index;
    }
}
