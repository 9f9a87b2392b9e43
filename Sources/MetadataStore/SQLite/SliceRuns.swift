/// A chunk's consecutive slices from one block, kept as one `slice` row: per slice its offset in the chunk,
/// its length and its offset in the block, three little-endian 64-bit integers. A flush of small writes puts
/// a few dozen slices in each chunk it touches; one row per slice made its commit thousands of inserts into
/// the table and both indexes, tens of milliseconds of CPU that the writers' replies waited behind.
enum SliceRuns {
    static let bytesPerSlice = 24

    static func encode(_ slices: some Collection<Slice>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(slices.count * bytesPerSlice)
        func append(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { bytes.append(contentsOf: $0) } }
        for slice in slices {  // a flush encodes thousands: no array per slice
            append(slice.offset); append(slice.length); append(slice.blockOffset)
        }
        return bytes
    }

    /// Appends the row's slices, in order, to `slices`.
    static func decode(_ bytes: UnsafeRawBufferPointer, block: String, into slices: inout [Slice]) throws {
        guard bytes.count % bytesPerSlice == 0 else {
            throw MetadataStoreError.engine("a slice row of \(bytes.count) bytes is not a whole number of slices")
        }
        for start in stride(from: 0, to: bytes.count, by: bytesPerSlice) {
            func field(_ n: Int) -> Int { Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8 * n, as: Int64.self))) }
            slices.append(Slice(offset: field(0), length: field(1), block: block, blockOffset: field(2)))
        }
    }

    /// `slices` cut where the block changes: one row each.
    static func rows(_ slices: ArraySlice<Slice>) -> [ArraySlice<Slice>] {
        var rows: [ArraySlice<Slice>] = []
        var start = slices.startIndex
        for i in slices.indices where i > start && slices[i].block != slices[i - 1].block {
            rows.append(slices[start..<i]); start = i
        }
        if start < slices.endIndex { rows.append(slices[start...]) }
        return rows
    }
}
