using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Approximate k-nearest-neighbour lists by NN-descent (Dong, Charikar and Li, "Efficient k-nearest neighbor graph
/// construction for generic similarity measures", WWW 2011): a neighbour of a neighbour is likely a neighbour. Every
/// row keeps a list of the K nearest rows found so far, each entry flagged new until it has been joined once. A round
/// samples rho K of each row's new entries and adds the rows that list it (reverse neighbours, sampled too), then
/// compares every pair of new candidates and every new with every old candidate (the local join), offering each
/// distance to both rows' lists. It stops when a round changes fewer than delta n K entries. The distances of a row's
/// join are computed in one block by a register-blocked kernel (<see cref="CandidateDistances"/>); the final lists are
/// re-ranked in float64 with the row itself, as the exact search ranks them.
/// <para>
/// The lists start from the rows next to each one in <see cref="SpatialOrder"/> (a principal-direction partition, as
/// PyNNDescent starts from random-projection trees) plus a few seeded random rows. Rows are copied in that order, so
/// that on data of low intrinsic dimension the candidates of a row are mostly near it in memory. The result is deterministic for a given input and seed: the
/// samples come from a hash of (seed, round, row, candidate), the join writes its proposals to per-chunk buffers and
/// the lists take them in a fixed order, whatever the threads do. Memory is linear in n: the copy, the lists and the
/// candidate sets, about 4 d + 16 K bytes a row in float32 (1 GB at 1,000,000 x 64 with k = 7).
/// </para>
/// </summary>
internal static class NnDescent
{
    public sealed record Settings
    {
        /// <summary>
        /// Entries each list keeps beyond k: K = k + Spare. The lists must be far longer than k where the data's intrinsic
        /// dimension is high: on 100,000 rows of one 64-dimensional Gaussian (a cluster of the 1,000,000-row benchmark)
        /// k = 7 reaches a recall of 0.85 with K = 52 and reverse samples of 0.3 K, 0.96 with K = 40 and 3 K, 0.98 with
        /// K = 47 (the default) and 3 K. The final k are re-ranked in float64 from the K.
        /// </summary>
        public int Spare { get; init; } = 40;

        /// <summary>rho: the share of K new entries each row samples per round (the paper's 0.5 costs more per round for the same recall).</summary>
        public double SampleRate { get; init; } = 0.3;

        /// <summary>
        /// Reverse neighbours (rows listing it) each row joins per round, new and old each, as a multiple of K. Far more
        /// than rho K: in high dimensions a few rows (hubs) are listed by very many and most by few, and a row that no
        /// one's sampled reverse neighbours hold is never offered anything.
        /// </summary>
        public double ReverseRate { get; init; } = 3;

        /// <summary>delta: stop when a round changes fewer than delta n K list entries (the paper's 0.001).</summary>
        public double Termination { get; init; } = 0.001;

        /// <summary>Rounds at most; 0 keeps the initial lists. The benchmark's rows stop by delta after 12 to 16 rounds.</summary>
        public int MaxIterations { get; init; } = 25;

        /// <summary>Seeded random rows added to each row's initial candidates, to link regions the spatial order keeps apart.</summary>
        public int RandomCandidates { get; init; } = 4;

        public ulong Seed { get; init; } = 0x2545F4914F6CDD1D;

        public static Settings Default { get; } = new();
    }

    /// <summary>Rows joined between two applications of their proposals: it bounds the proposal buffers (early rounds offer
    /// thousands of proposals a row; 16,384 rows made them about 0.5 GB).</summary>
    private const int BlockRows = 1024;

    /// <summary>Rows per parallel work item of the join; each writes its own proposal buffers.</summary>
    private const int ChunkRows = 64;

    /// <summary>Ranges of target rows the proposals are bucketed by (row >> <see cref="RangeShift"/>), applied in parallel; at
    /// most this many, whatever the core count, so that the result does not depend on it.</summary>
    private const int TargetRanges = 16;

    /// <summary>The shift that maps a row to its target range.</summary>
    private static int RangeShift(int rows)
    {
        int shift = 0;
        while ((rows - 1) >> shift >= TargetRanges) shift++;
        return shift;
    }

    /// <summary>The lists: n x k neighbour indices (original indices, nearest first by float64 distance, ties to the lower
    /// index, the row itself included as in <see cref="KnnSearch"/>), by original row; and their recall on the sampled rows.</summary>
    public sealed record Result(int[] Neighbours, int[] RecallSample, double Recall);

    /// <param name="recallSample">Rows (original indices) whose lists are graded against a brute-force search; may be empty.</param>
    public static Result Search<T>(FeatureMatrix features, int[] order, int k, Settings settings, int[] recallSample,
        IProgress<StageProgress>? progress, CancellationToken cancellation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = features.Rows;
        int listSize = Math.Min(n - 1, k + settings.Spare);
        var points = new Points<T>(features, order);
        var lists = new NeighbourLists<T>(n, listSize);
        var parallel = new ParallelOptions { CancellationToken = cancellation };
        Initialise(points, lists, settings, parallel);
        progress?.Report(new StageProgress("nn-descent", 0, settings.MaxIterations, double.NaN));
        int sampleSize = Math.Max(1, (int)Math.Ceiling(settings.SampleRate * listSize));
        int reverseSize = Math.Max(1, (int)Math.Ceiling(settings.ReverseRate * listSize));
        var candidates = new Candidates(n, listSize, sampleSize, reverseSize);
        var proposals = new ProposalBuffers<T>();
        for (int iteration = 0; iteration < settings.MaxIterations; iteration++)
        {
            candidates.Build(lists, settings.Seed, iteration, parallel);
            long updates = Join(points, lists, candidates, proposals, parallel);
            double changed = (double)updates / ((long)n * listSize);
            progress?.Report(new StageProgress("nn-descent", iteration + 1, settings.MaxIterations, changed));
            if (changed < settings.Termination) break;
        }
        var neighbours = Refine(features, order, lists, k, parallel);
        return new Result(neighbours, recallSample, KnnRecall.Measure(points, features, order, neighbours, k, recallSample, parallel));
    }

    /// <summary>Each row's list from the rows around it in the spatial order (2K of them, shifted at the ends) and a few random ones.</summary>
    private static void Initialise<T>(Points<T> points, NeighbourLists<T> lists, Settings settings, ParallelOptions parallel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = lists.Rows;
        int window = Math.Min(n - 1, 2 * lists.Size);
        Parallel.For(0, n, parallel, p =>
        {
            int first = Math.Clamp(p - window / 2, 0, n - 1 - window);
            for (int q = first; q <= first + window; q++)
                if (q != p) lists.TryInsert(p, q, points.SquaredDistance(p, q));
            for (int r = 0; r < settings.RandomCandidates; r++)
            {
                int q = (int)(Hash(settings.Seed, int.MinValue, p, r) % (ulong)n);
                if (q != p) lists.TryInsert(p, q, points.SquaredDistance(p, q));
            }
        });
    }

    /// <summary>One round's local joins, block by block; returns how many list entries changed.</summary>
    private static long Join<T>(Points<T> points, NeighbourLists<T> lists, Candidates candidates, ProposalBuffers<T> proposals, ParallelOptions parallel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = lists.Rows;
        long updates = 0;
        var applied = new long[TargetRanges];
        // Scratch buffers are large-object-heap sized: reused across blocks rather than left to the collector.
        var scratches = new ConcurrentBag<JoinScratch<T>>();
        for (int blockStart = 0; blockStart < n; blockStart += BlockRows)
        {
            int blockEnd = Math.Min(n, blockStart + BlockRows);
            int chunks = (blockEnd - blockStart + ChunkRows - 1) / ChunkRows;
            // Join: the lists are only read (their current last distances filter the proposals).
            Parallel.For(0, chunks, parallel, () => scratches.TryTake(out var reused) ? reused
                    : new JoinScratch<T>(points.Dims, candidates.SampleSize + candidates.ReverseSize, candidates.SampleSize + candidates.ListSize + 2 * candidates.ReverseSize),
                (chunk, _, scratch) =>
                {
                    int start = blockStart + chunk * ChunkRows;
                    JoinRows(points, lists, candidates, start, Math.Min(blockEnd, start + ChunkRows), proposals.Chunk(chunk), scratch);
                    return scratch;
                }, scratches.Add);
            // Apply: each target range takes its proposals chunk by chunk, in the order they were made.
            Array.Clear(applied);
            Parallel.For(0, TargetRanges, parallel, range =>
            {
                long count = 0;
                for (int chunk = 0; chunk < chunks; chunk++)
                {
                    var bucket = proposals.Chunk(chunk)[range];
                    foreach (var proposal in CollectionsMarshal.AsSpan(bucket))
                        if (lists.TryInsert(proposal.Target, proposal.Candidate, proposal.Distance)) count++;
                    bucket.Clear();
                }
                applied[range] = count;
            });
            updates += applied.Sum();
        }
        return updates;
    }

    /// <summary>
    /// The local join of rows [start, end): each row's candidates, new ones first, their distances to the new ones in one
    /// block (<see cref="CandidateDistances"/>), and every new-new and new-old pair offered to the two lists it could enter.
    /// </summary>
    private static void JoinRows<T>(Points<T> points, NeighbourLists<T> lists, Candidates candidates, int start, int end,
        List<Proposal<T>>[] buckets, JoinScratch<T> scratch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int shift = RangeShift(lists.Rows), lanes = Vector256<T>.Count;
        var all = scratch.Candidates.AsSpan();
        var last = scratch.Last.AsSpan();
        for (int p = start; p < end; p++)
        {
            int fresh = 0;
            foreach (int q in candidates.NewForward(p)) all[fresh++] = q;
            foreach (int q in candidates.NewReverse(p))
                if (!all[..fresh].Contains(q)) all[fresh++] = q;
            if (fresh == 0) continue;
            int count = fresh;
            var row = lists.Row(p);
            var isNew = lists.IsNew(p);
            for (int s = 0; s < row.Length; s++)
                if (!isNew[s] && row[s] != NeighbourLists<T>.Empty && !all[..fresh].Contains(row[s])) all[count++] = row[s];
            foreach (int q in candidates.OldReverse(p))
                if (!all[..count].Contains(q)) all[count++] = q;
            int width = scratch.Pack(points, all[..fresh]);
            CandidateDistances(points, all[..count], scratch, width);
            for (int j = 0; j < count; j++) last[j] = lists.Last(all[j]);
            // Pair (i, j), i new and i < j: a vector of i at a time, only the pairs that could enter a list looked at.
            for (int j = 1; j < count; j++)
            {
                int b = all[j];
                int pairs = Math.Min(j, fresh);
                var lastB = Vector256.Create(last[j]);
                for (int first = 0; first < pairs; first += lanes)
                {
                    var distances = Vector256.LoadUnsafe(ref scratch.Distances[0], (nuint)(j * width + first));
                    var entering = Vector256.LessThan(distances, Vector256.LoadUnsafe(ref last[0], (nuint)first)) | Vector256.LessThan(distances, lastB);
                    uint bits = entering.ExtractMostSignificantBits() & (pairs - first >= lanes ? uint.MaxValue : (1u << (pairs - first)) - 1);
                    for (; bits != 0; bits &= bits - 1)
                    {
                        int i = first + BitOperations.TrailingZeroCount(bits);
                        int a = all[i];
                        T distance = scratch.Distances[j * width + i];
                        if (distance < last[i] && !lists.Row(a).Contains(b)) buckets[a >> shift].Add(new Proposal<T>(a, b, distance));
                        if (distance < last[j] && !lists.Row(b).Contains(a)) buckets[b >> shift].Add(new Proposal<T>(b, a, distance));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The squared distances of every candidate to every new one, |c|^2 + |f|^2 - 2 c.f clamped at 0, by the exact search's
    /// micro-kernel (<see cref="DistanceKernel.FourRows{TWidth, TVector, T}"/>): the new rows packed as panels, four
    /// candidates at a time from the row-major copy. Vector256 panels whatever the CPU: a list's few new rows would leave
    /// most of a Vector512 panel pair empty. Row j of the output holds candidate j's distances to the new rows
    /// (<paramref name="width"/> of them with the padding).
    /// </summary>
    internal static void CandidateDistances<T>(Points<T> points, ReadOnlySpan<int> candidates, JoinScratch<T> scratch, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int d = points.Dims;
        ref T origin = ref MemoryMarshal.GetArrayDataReference(points.Rows);
        ref T panels = ref MemoryMarshal.GetArrayDataReference(scratch.Panels);
        ref T freshNorms = ref MemoryMarshal.GetArrayDataReference(scratch.FreshNorms);
        ref T output = ref MemoryMarshal.GetArrayDataReference(scratch.Distances);
        for (int c = 0; c < candidates.Length; c += DistanceKernel.QueryRowsPerStep)
        {
            int real = Math.Min(DistanceKernel.QueryRowsPerStep, candidates.Length - c) - 1;
            int r0 = candidates[c], r1 = candidates[c + Math.Min(1, real)], r2 = candidates[c + Math.Min(2, real)], r3 = candidates[c + Math.Min(3, real)];
            DistanceKernel.FourRows<Width256<T>, Vector256<T>, T>(ref Unsafe.Add(ref origin, (nint)r0 * d), ref Unsafe.Add(ref origin, (nint)r1 * d),
                ref Unsafe.Add(ref origin, (nint)r2 * d), ref Unsafe.Add(ref origin, (nint)r3 * d),
                points.Norms[r0], points.Norms[r1], points.Norms[r2], points.Norms[r3],
                ref panels, ref freshNorms, width, d, ref Unsafe.Add(ref output, (nint)c * width), width);
        }
    }

    /// <summary>Each row's list plus the row itself, re-ranked on float64 distances (<see cref="KnnSearch.Refine"/>), k kept.</summary>
    private static int[] Refine<T>(FeatureMatrix features, int[] order, NeighbourLists<T> lists, int k, ParallelOptions parallel)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = lists.Rows;
        var neighbours = new int[(long)n * k];
        Parallel.For(0, n, parallel, () => new int[lists.Size + 1], (p, _, candidates) =>
        {
            int original = order[p];
            candidates[0] = original;
            var list = lists.Row(p);
            for (int s = 0; s < list.Length; s++) candidates[s + 1] = order[list[s]];
            KnnSearch.Refine(features, features, original, candidates, neighbours.AsSpan(original * k, k));
            return candidates;
        }, _ => { });
        return neighbours;
    }

    /// <summary>The rows in spatial order, centred as the exact search centres them, in T, row-major, with their squared norms.</summary>
    internal sealed class Points<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Points(FeatureMatrix features, int[] order)
        {
            Dims = features.Cols;
            var centre = features.Scales.Centre;
            Rows = new T[(long)features.Rows * Dims];
            Norms = new T[features.Rows];
            Parallel.For(0, features.Rows, p =>
            {
                var row = Rows.AsSpan(p * Dims, Dims);
                T norm = T.Zero;
                for (int f = 0; f < Dims; f++)
                {
                    row[f] = T.CreateTruncating(features[order[p], f] - centre[f]);
                    norm = T.FusedMultiplyAdd(row[f], row[f], norm);
                }
                Norms[p] = norm;
            });
        }

        public int Dims { get; }
        public T[] Rows { get; }
        public T[] Norms { get; }

        /// <summary>By direct differences (the initial lists; the join takes them in blocks).</summary>
        public T SquaredDistance(int a, int b)
        {
            ref T x = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Rows), (nint)a * Dims);
            ref T y = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Rows), (nint)b * Dims);
            int lanes = Vector256<T>.Count;
            var sum = Vector256<T>.Zero;
            int f = 0;
            for (; f + lanes <= Dims; f += lanes)
            {
                var difference = Vector256.LoadUnsafe(ref x, (nuint)f) - Vector256.LoadUnsafe(ref y, (nuint)f);
                sum = Simd.MultiplyAdd(difference, difference, sum);
            }
            T total = Vector256.Sum(sum);
            for (; f < Dims; f++)
            {
                T difference = Unsafe.Add(ref x, f) - Unsafe.Add(ref y, f);
                total += difference * difference;
            }
            return total;
        }
    }

    /// <summary>One thread's buffers for the local join: a row's candidates, the new ones packed as panels, their distances.</summary>
    internal sealed class JoinScratch<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int _dims;

        /// <param name="fresh">New rows at most (packed as panels).</param>
        /// <param name="most">Candidates at most, the new ones included.</param>
        public JoinScratch(int dims, int fresh, int most)
        {
            _dims = dims;
            int step = 2 * Vector256<T>.Count;
            int freshColumns = (fresh + step - 1) / step * step;
            Candidates = new int[most];
            Last = new T[Math.Max(most, freshColumns)];
            Panels = new T[freshColumns * dims];
            FreshNorms = new T[freshColumns];
            Distances = new T[(most + DistanceKernel.QueryRowsPerStep) * freshColumns];
        }

        public int[] Candidates { get; }
        public T[] Last { get; }
        public T[] Panels { get; }
        public T[] FreshNorms { get; }
        public T[] Distances { get; }

        /// <summary>Packs the new candidates as panels (zero rows pad them to whole panel pairs); returns the padded count.</summary>
        public int Pack(Points<T> points, ReadOnlySpan<int> fresh)
        {
            int lanes = Vector256<T>.Count, step = 2 * lanes;
            int width = (fresh.Length + step - 1) / step * step;
            for (int i = 0; i < width; i++)
            {
                var panel = Panels.AsSpan(i / lanes * _dims * lanes, _dims * lanes);
                int lane = i % lanes;
                if (i < fresh.Length)
                {
                    var row = points.Rows.AsSpan(fresh[i] * _dims, _dims);
                    for (int f = 0; f < _dims; f++) panel[f * lanes + lane] = row[f];
                    FreshNorms[i] = points.Norms[fresh[i]];
                }
                else
                {
                    for (int f = 0; f < _dims; f++) panel[f * lanes + lane] = T.Zero;
                    FreshNorms[i] = T.Zero;
                }
            }
            return width;
        }
    }

    /// <summary>A pseudo-random 64-bit value of its arguments (SplitMix64's finaliser): the samples need no shared generator.</summary>
    private static ulong Hash(ulong seed, int iteration, int row, int other)
    {
        ulong x = seed + (ulong)(uint)iteration * 0x9E3779B97F4A7C15UL + (((ulong)(uint)row << 32) | (uint)other) * 0xD1B54A32D192ED03UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    private static uint Priority(ulong seed, int iteration, int row, int other) => (uint)(Hash(seed, iteration, row, other) >> 32);

    private readonly record struct Proposal<T>(int Target, int Candidate, T Distance);

    /// <summary>Per chunk of a block, one growing buffer per target range; kept across blocks and rounds.</summary>
    private sealed class ProposalBuffers<T>
    {
        private readonly List<Proposal<T>>[][] _chunks = new List<Proposal<T>>[BlockRows / ChunkRows][];

        public List<Proposal<T>>[] Chunk(int chunk)
        {
            var buckets = Volatile.Read(ref _chunks[chunk]);
            if (buckets is not null) return buckets;
            buckets = new List<Proposal<T>>[TargetRanges];
            for (int range = 0; range < TargetRanges; range++) buckets[range] = [];
            return Interlocked.CompareExchange(ref _chunks[chunk], buckets, null) ?? buckets;
        }
    }

    /// <summary>Per row, the K nearest rows found so far, sorted by (distance, row); unused places hold <see cref="Empty"/> at +inf.</summary>
    private sealed class NeighbourLists<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public const int Empty = int.MaxValue;
        private readonly int[] _index;
        private readonly T[] _distance;
        private readonly bool[] _isNew;

        public NeighbourLists(int rows, int size)
        {
            Rows = rows;
            Size = size;
            _index = new int[(long)rows * size];
            _distance = new T[(long)rows * size];
            _isNew = new bool[(long)rows * size];
            Array.Fill(_index, Empty);
            Array.Fill(_distance, T.PositiveInfinity);
        }

        public int Rows { get; }
        public int Size { get; }

        public ReadOnlySpan<int> Row(int row) => _index.AsSpan(row * Size, Size);
        public Span<bool> IsNew(int row) => _isNew.AsSpan(row * Size, Size);

        /// <summary>The row's old entries, in a per-thread buffer.</summary>
        public ReadOnlySpan<int> OldEntries(int row)
        {
            if (_oldBuffer is null || _oldBuffer.Length < Size) _oldBuffer = new int[Size];
            var buffer = _oldBuffer;
            var index = Row(row);
            var isNew = IsNew(row);
            int count = 0;
            for (int s = 0; s < Size; s++)
                if (!isNew[s] && index[s] != Empty) buffer[count++] = index[s];
            return buffer.AsSpan(0, count);
        }

        [ThreadStatic] private static int[]? _oldBuffer;

        /// <summary>The distance a candidate must beat to enter the row's list.</summary>
        public T Last(int row) => _distance[(long)row * Size + Size - 1];

        /// <summary>Inserts the candidate, flagged new, unless it is listed already or not nearer than the last entry.</summary>
        public bool TryInsert(int row, int candidate, T distance)
        {
            var index = _index.AsSpan(row * Size, Size);
            var distances = _distance.AsSpan(row * Size, Size);
            var isNew = _isNew.AsSpan(row * Size, Size);
            int last = Size - 1;
            if (distance > distances[last] || (distance == distances[last] && candidate >= index[last])) return false;
            if (index.Contains(candidate)) return false;
            int position = last;
            while (position > 0 && (distances[position - 1] > distance || (distances[position - 1] == distance && index[position - 1] > candidate)))
            {
                index[position] = index[position - 1];
                distances[position] = distances[position - 1];
                isNew[position] = isNew[position - 1];
                position--;
            }
            index[position] = candidate;
            distances[position] = distance;
            isNew[position] = true;
            return true;
        }
    }

    /// <summary>
    /// A round's candidates per row: new ones (rho K of its new entries, sampled, then marked old; and the rows whose
    /// samples hold it) and old ones (its old entries, and the rows whose old entries hold it). Reverse neighbours are
    /// kept as lists of varying length (a row is listed by K rows on average, by many more when it is a hub), cut to
    /// the <see cref="ReverseSize"/> of lowest priority. Samples keep the lowest hash priorities (ties: the lower row),
    /// so they do not depend on the order rows are visited in.
    /// </summary>
    private sealed class Candidates
    {
        private readonly int[] _newForward, _newForwardCount;
        private readonly ReverseLists _newReverse, _oldReverse;

        public Candidates(int rows, int listSize, int sampleSize, int reverseSize)
        {
            ListSize = listSize;
            SampleSize = sampleSize;
            ReverseSize = reverseSize;
            _newForward = new int[(long)rows * sampleSize];
            _newForwardCount = new int[rows];
            _newReverse = new ReverseLists(rows, (long)rows * sampleSize);
            _oldReverse = new ReverseLists(rows, (long)rows * listSize);
        }

        public int ListSize { get; }
        public int SampleSize { get; }

        /// <summary>Reverse neighbours joined per row and round at most, new and old each.</summary>
        public int ReverseSize { get; }

        public ReadOnlySpan<int> NewForward(int row) => _newForward.AsSpan(row * SampleSize, _newForwardCount[row]);
        public ReadOnlySpan<int> NewReverse(int row) => _newReverse.Row(row);
        public ReadOnlySpan<int> OldReverse(int row) => _oldReverse.Row(row);

        public void Build<T>(NeighbourLists<T> lists, ulong seed, int iteration, ParallelOptions parallel)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int n = lists.Rows;
            Parallel.For(0, n, parallel, () => new uint[SampleSize], (p, _, priorities) =>
            {
                SampleForward(lists, p, seed, iteration, priorities);
                return priorities;
            }, _ => { });
            // Reverse lists, from the flags as the round found them.
            _newReverse.Build(n, p => NewForward(p), seed, ~iteration, ReverseSize, parallel);
            _oldReverse.Build(n, p => lists.OldEntries(p), seed, ~iteration, ReverseSize, parallel);
            Parallel.For(0, n, parallel, p =>
            {
                var row = lists.Row(p);
                var isNew = lists.IsNew(p);
                foreach (int q in NewForward(p)) isNew[row.IndexOf(q)] = false;
            });
        }

        /// <summary>A sample of row p's new entries (the lowest priorities); <see cref="Build"/> marks them old.</summary>
        private void SampleForward<T>(NeighbourLists<T> lists, int p, ulong seed, int iteration, uint[] priorities)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            var row = lists.Row(p);
            var isNew = lists.IsNew(p);
            var sample = _newForward.AsSpan(p * SampleSize, SampleSize);
            int sampled = 0;
            for (int s = 0; s < row.Length; s++)
            {
                int q = row[s];
                if (!isNew[s] || q == NeighbourLists<T>.Empty) continue;
                uint priority = Priority(seed, iteration, p, q);
                if (sampled == SampleSize && priority >= priorities[sampled - 1]) continue;
                int position = sampled == SampleSize ? sampled - 1 : sampled++;
                while (position > 0 && priorities[position - 1] > priority)
                {
                    priorities[position] = priorities[position - 1];
                    sample[position] = sample[position - 1];
                    position--;
                }
                priorities[position] = priority;
                sample[position] = q;
            }
            _newForwardCount[p] = sampled;
        }
    }

    /// <summary>Per row q, the rows p whose forward lists hold q, in increasing p, then cut to a sample (compressed rows).</summary>
    private sealed class ReverseLists(int rows, long capacity)
    {
        private readonly int[] _start = new int[rows + 1];
        private readonly int[] _count = new int[rows];
        private readonly int[] _entries = new int[capacity];

        public ReadOnlySpan<int> Row(int q) => _entries.AsSpan(_start[q], _count[q]);

        public delegate ReadOnlySpan<int> Forward(int row);

        /// <summary>
        /// Counts, then fills: each range of target rows is handled by one thread reading every row's forward list, so
        /// every list comes out in increasing p whatever the threads do; a list longer than <paramref name="most"/>
        /// keeps the rows of lowest priority.
        /// </summary>
        public void Build(int n, Forward forward, ulong seed, int salt, int most, ParallelOptions parallel)
        {
            _count.AsSpan().Clear();
            int ranges = Math.Max(1, Math.Min(Environment.ProcessorCount, n));
            Parallel.For(0, ranges, parallel, range =>
            {
                var (first, end) = Range(n, range, ranges);
                for (int p = 0; p < n; p++)
                    foreach (int q in forward(p))
                        if (q >= first && q < end) _count[q]++;
            });
            for (int q = 0; q < n; q++) _start[q + 1] = _start[q] + _count[q];
            Parallel.For(0, ranges, parallel, range =>
            {
                var (first, end) = Range(n, range, ranges);
                _count.AsSpan(first, end - first).Clear();
                for (int p = 0; p < n; p++)
                    foreach (int q in forward(p))
                        if (q >= first && q < end) _entries[_start[q] + _count[q]++] = p;
                var priorities = new List<uint>();
                for (int q = first; q < end; q++)
                {
                    if (_count[q] <= most) continue;
                    var list = _entries.AsSpan(_start[q], _count[q]);
                    priorities.Clear();
                    foreach (int p in list) priorities.Add(Priority(seed, salt, q, p));
                    CollectionsMarshal.AsSpan(priorities).Sort(list);
                    _count[q] = most;
                }
            });
        }

        private static (int First, int End) Range(int n, int range, int ranges) =>
            ((int)((long)n * range / ranges), (int)((long)n * (range + 1) / ranges));
    }
}
