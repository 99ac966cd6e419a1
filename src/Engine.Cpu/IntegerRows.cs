using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuSpread.Engine.Cpu;

/// <summary>
/// Rows whose features are bytes, p in 0..255, times one scale (1 for integer features such as raw pixels, 1/255 for
/// pixels / 255 as float32 or float64 holds them), laid out for the VNNI distance kernel: squared distances
/// <c>scale^2 (|p|^2 + |c|^2 - 2 p.c)</c> in exact integer arithmetic. <c>vpdpbusd</c> multiplies unsigned bytes by
/// signed ones, four pairs into each int32 lane: the column side is stored as c - 128, and <c>p.c = p.(c - 128) +
/// 128 sum(p)</c>. A 256-bit step does 32 multiply-adds, twice a Vector512 float32 FMA's 16.
/// </summary>
internal sealed class IntegerRows
{
    /// <summary>Columns per panel: the int32 lanes of a Vector256.</summary>
    public const int PanelColumns = 8;

    /// <summary>Features per int32 lane.</summary>
    private const int FeaturesPerLane = 4;

    private IntegerRows(int rows, int dims, int paddedRows, double scale)
    {
        Rows = rows;
        Groups = (dims + FeaturesPerLane - 1) / FeaturesPerLane;
        Scale = scale;
        PaddedRows = paddedRows;
        RowMajor = new uint[(long)rows * Groups];
        Panels = new sbyte[(long)paddedRows * Groups * FeaturesPerLane];
        Sums = new int[paddedRows];
        Norms = new int[paddedRows];
    }

    public int Rows { get; }
    public int PaddedRows { get; }

    /// <summary>Groups of four features per row (the last padded with zeros).</summary>
    public int Groups { get; }

    /// <summary>The value of one unit of p.</summary>
    public double Scale { get; }

    /// <summary>Each row's bytes, four to a uint, row-major: the query side, broadcast one group at a time.</summary>
    public uint[] RowMajor { get; }

    /// <summary>c - 128 in panels of <see cref="PanelColumns"/> columns: for each group, the panel's columns' four bytes.</summary>
    public sbyte[] Panels { get; }

    /// <summary>sum(p) and |p|^2 per row.</summary>
    public int[] Sums { get; }
    public int[] Norms { get; }

    /// <summary>Whether this CPU runs the kernel (AVX-VNNI).</summary>
    public static bool Supported => AvxVnni.IsSupported;

    /// <summary>
    /// The rows as bytes times a scale, if every value is one: an integer in 0..255 (scale 1), or p / 255 as the
    /// matrix's precision rounds it (scale 1/255). Null otherwise, or where the CPU lacks AVX-VNNI.
    /// </summary>
    /// <param name="order">Row r is row order[r] of <paramref name="features"/> (null: the same).</param>
    /// <param name="paddedRows">Rows of the column side, a multiple of <see cref="PanelColumns"/>.</param>
    public static IntegerRows? TryCreate(FeatureMatrix features, int[]? order, int paddedRows)
    {
        // |p|^2 and the accumulations must stay inside int32.
        if (!Supported || paddedRows % PanelColumns != 0 || (long)features.Cols * 2 * 255 * 255 > int.MaxValue) return null;
        double? scale = features.Single is { } single ? ScaleOf(single) : ScaleOf(features.Double!);
        if (scale is null) return null;
        var rows = new IntegerRows(features.Rows, features.Cols, paddedRows, scale.Value);
        rows.Pack(features, order);
        return rows;
    }

    /// <summary>1 when every value is an integer in 0..255, 1/255 when every value is (p / 255) rounded as stored, else null.</summary>
    private static double? ScaleOf<TValue>(TValue[] values) where TValue : unmanaged, System.Numerics.IFloatingPointIeee754<TValue>
    {
        bool integers = true, pixels = true;
        var maxByte = TValue.CreateTruncating(255);
        foreach (var value in values)
        {
            if (!(value >= TValue.Zero && value <= maxByte)) return null;
            integers &= TValue.IsInteger(value);
            var p = TValue.Round(value * maxByte);
            pixels &= value <= TValue.One && p / maxByte == value;
            if (!integers && !pixels) return null;
        }
        return integers ? 1 : 1.0 / 255;
    }

    private void Pack(FeatureMatrix features, int[]? order)
    {
        int dims = features.Cols, groups = Groups;
        double unitsPerValue = 1 / Scale;
        Parallel.For(0, Rows, i =>
        {
            int source = order?[i] ?? i;
            Span<byte> bytes = stackalloc byte[groups * FeaturesPerLane];
            bytes.Clear();
            int sum = 0, norm = 0;
            for (int k = 0; k < dims; k++)
            {
                int p = (int)Math.Round(features[source, k] * unitsPerValue);
                bytes[k] = (byte)p;
                sum += p;
                norm += p * p;
            }
            MemoryMarshal.Cast<byte, uint>(bytes).CopyTo(RowMajor.AsSpan((int)((long)i * groups), groups));
            Sums[i] = sum;
            Norms[i] = norm;
            long panelStart = (long)(i / PanelColumns) * groups * PanelColumns * FeaturesPerLane;
            int lane = i % PanelColumns;
            for (int g = 0; g < groups; g++)
                for (int f = 0; f < FeaturesPerLane; f++)
                    Panels[panelStart + ((long)g * PanelColumns + lane) * FeaturesPerLane + f] = (sbyte)(bytes[g * FeaturesPerLane + f] - 128);
        });
        // Padding columns hold p = 0 (stored as -128), like the float panels' zero rows.
        for (int i = Rows; i < PaddedRows; i++)
        {
            long panelStart = (long)(i / PanelColumns) * groups * PanelColumns * FeaturesPerLane;
            int lane = i % PanelColumns;
            for (int g = 0; g < groups; g++)
                for (int f = 0; f < FeaturesPerLane; f++)
                    Panels[panelStart + ((long)g * PanelColumns + lane) * FeaturesPerLane + f] = sbyte.MinValue;
        }
    }

    /// <summary>
    /// Squared distances of up to four query rows (rows of this set) against <paramref name="tileColumns"/> columns
    /// from <paramref name="firstColumn"/> (multiples of a panel), as T, into a 4 x <paramref name="stride"/>
    /// buffer: four rows against two panels per step, eight int32 accumulators, as the float kernel does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SquaredDistances<T>(int firstQuery, int queryCount, int firstColumn, int tileColumns, Span<T> output, int stride)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int groups = Groups;
        var (r1, r2, r3) = DistanceKernel.OtherStepRows(firstQuery, queryCount);
        ref uint rows = ref MemoryMarshal.GetArrayDataReference(RowMajor);
        ref uint x0 = ref Unsafe.Add(ref rows, (nint)firstQuery * groups);
        ref uint x1 = ref Unsafe.Add(ref rows, (nint)r1 * groups);
        ref uint x2 = ref Unsafe.Add(ref rows, (nint)r2 * groups);
        ref uint x3 = ref Unsafe.Add(ref rows, (nint)r3 * groups);
        Span<int> queryNorms = [Norms[firstQuery], Norms[r1], Norms[r2], Norms[r3]];
        Span<int> querySums = [Sums[firstQuery], Sums[r1], Sums[r2], Sums[r3]];
        int panelBytes = groups * PanelColumns * FeaturesPerLane;
        ref sbyte panels = ref MemoryMarshal.GetArrayDataReference(Panels);
        double squaredScale = Scale * Scale;
        for (int j = 0; j < tileColumns; j += 2 * PanelColumns)
        {
            int column = firstColumn + j;
            // A tile may end in one panel (a multiple of the float kernel's panel pair, which can be 8 columns): its
            // second panel is then the first again, and only the first is stored.
            bool pair = tileColumns - j >= 2 * PanelColumns;
            ref sbyte p0 = ref Unsafe.Add(ref panels, (nint)(column / PanelColumns) * panelBytes);
            ref sbyte p1 = ref pair ? ref Unsafe.Add(ref p0, panelBytes) : ref p0;
            Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default;
            Vector256<int> a20 = default, a21 = default, a30 = default, a31 = default;
            nuint offset = 0;
            for (nint g = 0; g < groups; g++, offset += PanelColumns * FeaturesPerLane)
            {
                var c0 = Vector256.LoadUnsafe(ref p0, offset);
                var c1 = Vector256.LoadUnsafe(ref p1, offset);
                var b0 = Vector256.Create(Unsafe.Add(ref x0, g)).AsByte();
                var b1 = Vector256.Create(Unsafe.Add(ref x1, g)).AsByte();
                var b2 = Vector256.Create(Unsafe.Add(ref x2, g)).AsByte();
                var b3 = Vector256.Create(Unsafe.Add(ref x3, g)).AsByte();
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, b0, c0); a01 = AvxVnni.MultiplyWideningAndAdd(a01, b0, c1);
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, b1, c0); a11 = AvxVnni.MultiplyWideningAndAdd(a11, b1, c1);
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, b2, c0); a21 = AvxVnni.MultiplyWideningAndAdd(a21, b2, c1);
                a30 = AvxVnni.MultiplyWideningAndAdd(a30, b3, c0); a31 = AvxVnni.MultiplyWideningAndAdd(a31, b3, c1);
            }
            var columnNorms0 = Vector256.Create<int>(Norms.AsSpan(column, PanelColumns));
            var columnNorms1 = pair ? Vector256.Create<int>(Norms.AsSpan(column + PanelColumns, PanelColumns)) : columnNorms0;
            Store(output.Slice(j), queryNorms[0], querySums[0], columnNorms0, columnNorms1, a00, a01, squaredScale, pair);
            Store(output.Slice(stride + j), queryNorms[1], querySums[1], columnNorms0, columnNorms1, a10, a11, squaredScale, pair);
            Store(output.Slice(2 * stride + j), queryNorms[2], querySums[2], columnNorms0, columnNorms1, a20, a21, squaredScale, pair);
            Store(output.Slice(3 * stride + j), queryNorms[3], querySums[3], columnNorms0, columnNorms1, a30, a31, squaredScale, pair);
        }
    }

    /// <summary>|p|^2 + |c|^2 - 2 (acc + 128 sum(p)) for two panels (or the first alone), exact in int32, then times
    /// scale^2 in T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Span<T> destination, int queryNorm, int querySum, Vector256<int> norms0, Vector256<int> norms1,
        Vector256<int> dot0, Vector256<int> dot1, double squaredScale, bool pair) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var constant = Vector256.Create(queryNorm - 256 * querySum);
        var first = constant + norms0 - (dot0 + dot0);
        var second = constant + norms1 - (dot1 + dot1);
        if (typeof(T) == typeof(float))
        {
            var scale = Vector256.Create((float)squaredScale);
            var target = MemoryMarshal.Cast<T, float>(destination);
            (Vector256.ConvertToSingle(first) * scale).CopyTo(target);
            if (pair) (Vector256.ConvertToSingle(second) * scale).CopyTo(target.Slice(PanelColumns));
        }
        else
        {
            var scale = Vector256.Create(squaredScale);
            var target = MemoryMarshal.Cast<T, double>(destination);
            var (a, b) = Vector256.Widen(first);
            (Vector256.ConvertToDouble(a) * scale).CopyTo(target);
            (Vector256.ConvertToDouble(b) * scale).CopyTo(target.Slice(4));
            if (!pair) return;
            var (c, d) = Vector256.Widen(second);
            (Vector256.ConvertToDouble(c) * scale).CopyTo(target.Slice(8));
            (Vector256.ConvertToDouble(d) * scale).CopyTo(target.Slice(12));
        }
    }
}
