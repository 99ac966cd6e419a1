using System.Runtime.CompilerServices;
using ILGPU;

namespace GpuSpread.Engine.Gpu.Kernels;

/// <summary>
/// A thread's place in a tiled group: the group is <c>ThreadsX x ThreadsY</c> threads (a 1-D group of
/// <c>Group.DimX</c> threads, <c>ThreadsX</c> given at launch), the tile <c>4 ThreadsY</c> query rows by
/// <c>4 ThreadsX</c> columns. Thread (x, y) owns rows <c>4y .. 4y+3</c> and columns <c>x, x + ThreadsX, x + 2 ThreadsX,
/// x + 3 ThreadsX</c> (strided, so that neighbouring threads read neighbouring shared-memory rows).
/// </summary>
internal readonly struct TileThread
{
    public readonly int Index;
    public readonly int Threads;
    public readonly int X;
    public readonly int Y;
    public readonly int ThreadsX;

    /// <summary>Query rows of the tile.</summary>
    public readonly int Rows;

    /// <summary>Columns of the tile.</summary>
    public readonly int Columns;

    public TileThread(int threadsX)
    {
        Index = Group.IdxX;
        Threads = Group.DimX;
        ThreadsX = threadsX;
        X = Index % threadsX;
        Y = Index / threadsX;
        Rows = 4 * (Threads / threadsX);
        Columns = 4 * threadsX;
    }

    /// <summary>The tile row of the thread's r-th row.</summary>
    public int Row(int r) => 4 * Y + r;

    /// <summary>The tile column of the thread's c-th column.</summary>
    public int Column(int c) => X + ThreadsX * c;
}

/// <summary>
/// The distance part of a tile, shared by the rbf pass and the knn search: a register-blocked product of
/// the query and column tiles staged through shared memory in chunks of features, then
/// <c>r = max(0, |q|^2 + |x|^2 - 2 q.x)</c>, every operation in the CPU micro-kernel's order (FMAs over the
/// features from the first, one FMA for the norms), so that integer-valued data gives exact distances.
/// </summary>
internal static class DistanceTile
{
    /// <summary>Shared-memory values the two staging tiles take for a tile shape.</summary>
    public static int SharedValues(int rows, int columns, int featureChunk) => (rows + columns) * (featureChunk + 1);

    /// <param name="t">The thread.</param>
    /// <param name="shared">The staging tiles: rows x (chunk + 1), then columns x (chunk + 1).</param>
    /// <param name="queries">Query rows, row-major, dims values each.</param>
    /// <param name="queryNorms">Their squared norms.</param>
    /// <param name="rowBase">The tile's first query row.</param>
    /// <param name="queryEnd">One past the last query row of the launch.</param>
    /// <param name="columns">Column rows, row-major.</param>
    /// <param name="columnNorms">Their squared norms.</param>
    /// <param name="tileStart">The tile's first column.</param>
    /// <param name="columnEnd">One past the last column of the launch.</param>
    /// <param name="dims">Features per row.</param>
    /// <param name="chunk">Features staged per step.</param>
    /// <returns>The thread's 4 x 4 squared distances (pairs outside the launch hold meaningless values).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block<T> SquaredDistances<T, TReal>(TileThread t, ArrayView<T> shared,
        ArrayView<T> queries, ArrayView<T> queryNorms, int rowBase, int queryEnd,
        ArrayView<T> columns, ArrayView<T> columnNorms, int tileStart, int columnEnd, int dims, int chunk)
        where T : unmanaged where TReal : struct, IReal<T>
    {
        int stride = chunk + 1;
        int columnBase = t.Rows * stride;
        var dot = Block<T>.Fill(TReal.Zero());
        for (int k0 = 0; k0 < dims; k0 += chunk)
        {
            int width = Math.Min(chunk, dims - k0);
            for (int e = t.Index; e < t.Rows * chunk; e += t.Threads)
            {
                int row = e / chunk, k = e - row * chunk, q = rowBase + row;
                shared[row * stride + k] = q < queryEnd && k < width ? queries[(long)q * dims + k0 + k] : TReal.Zero();
            }
            for (int e = t.Index; e < t.Columns * chunk; e += t.Threads)
            {
                int column = e / chunk, k = e - column * chunk, j = tileStart + column;
                shared[columnBase + column * stride + k] = j < columnEnd && k < width ? columns[(long)j * dims + k0 + k] : TReal.Zero();
            }
            Group.Barrier();
            int q0 = t.Row(0) * stride, q1 = t.Row(1) * stride, q2 = t.Row(2) * stride, q3 = t.Row(3) * stride;
            int x0 = columnBase + t.Column(0) * stride, x1 = columnBase + t.Column(1) * stride;
            int x2 = columnBase + t.Column(2) * stride, x3 = columnBase + t.Column(3) * stride;
            for (int k = 0; k < width; k++)
            {
                var x = new Quad<T> { C0 = shared[x0 + k], C1 = shared[x1 + k], C2 = shared[x2 + k], C3 = shared[x3 + k] };
                dot.R0 = Quad<T>.Fma<TReal>(shared[q0 + k], x, dot.R0);
                dot.R1 = Quad<T>.Fma<TReal>(shared[q1 + k], x, dot.R1);
                dot.R2 = Quad<T>.Fma<TReal>(shared[q2 + k], x, dot.R2);
                dot.R3 = Quad<T>.Fma<TReal>(shared[q3 + k], x, dot.R3);
            }
            Group.Barrier();
        }

        var norms = new Quad<T>
        {
            C0 = Norm(columnNorms, tileStart + t.Column(0), columnEnd),
            C1 = Norm(columnNorms, tileStart + t.Column(1), columnEnd),
            C2 = Norm(columnNorms, tileStart + t.Column(2), columnEnd),
            C3 = Norm(columnNorms, tileStart + t.Column(3), columnEnd),
        };
        return new Block<T>
        {
            R0 = Distances<T, TReal>(Norm(queryNorms, rowBase + t.Row(0), queryEnd), norms, dot.R0),
            R1 = Distances<T, TReal>(Norm(queryNorms, rowBase + t.Row(1), queryEnd), norms, dot.R1),
            R2 = Distances<T, TReal>(Norm(queryNorms, rowBase + t.Row(2), queryEnd), norms, dot.R2),
            R3 = Distances<T, TReal>(Norm(queryNorms, rowBase + t.Row(3), queryEnd), norms, dot.R3),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Norm<T>(ArrayView<T> norms, int index, int end) where T : unmanaged => index < end ? norms[index] : default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Quad<T> Distances<T, TReal>(T queryNorm, Quad<T> columnNorms, Quad<T> dot)
        where T : unmanaged where TReal : struct, IReal<T> => new()
        {
            C0 = Distance<T, TReal>(queryNorm, columnNorms.C0, dot.C0),
            C1 = Distance<T, TReal>(queryNorm, columnNorms.C1, dot.C1),
            C2 = Distance<T, TReal>(queryNorm, columnNorms.C2, dot.C2),
            C3 = Distance<T, TReal>(queryNorm, columnNorms.C3, dot.C3),
        };

    /// <summary>max(0, fma(-2, dot, |q|^2 + |x|^2)), as the CPU micro-kernel stores it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Distance<T, TReal>(T queryNorm, T columnNorm, T dot) where T : unmanaged where TReal : struct, IReal<T>
        => TReal.Max(TReal.Fma(TReal.FromSingle(-2f), dot, TReal.Add(queryNorm, columnNorm)), TReal.Zero());
}
