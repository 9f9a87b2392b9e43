import NIOCore

public enum XDRError: Error, Sendable, Equatable {
    /// The input ended before the value did.
    case truncated
    /// A length or count is over the limit the caller set.
    case tooLong(Int)
    /// A value is not one the type allows (a bool other than 0/1, bad UTF-8, ...).
    case invalid(String)
}

/// RFC 4506 decoding over a ByteBuffer. Every read is bounds-checked and every variable-length item has a
/// caller-given maximum, so hostile input yields an error, never a trap or an unbounded allocation.
public struct XDRDecoder: Sendable {
    public private(set) var buffer: ByteBuffer

    public init(_ buffer: ByteBuffer) { self.buffer = buffer }

    public var remaining: Int { buffer.readableBytes }
    public var isAtEnd: Bool { buffer.readableBytes == 0 }

    public mutating func u32() throws(XDRError) -> UInt32 {
        guard let v = buffer.readInteger(endianness: .big, as: UInt32.self) else { throw .truncated }
        return v
    }

    public mutating func i32() throws(XDRError) -> Int32 { Int32(bitPattern: try u32()) }

    public mutating func u64() throws(XDRError) -> UInt64 {
        guard let v = buffer.readInteger(endianness: .big, as: UInt64.self) else { throw .truncated }
        return v
    }

    public mutating func i64() throws(XDRError) -> Int64 { Int64(bitPattern: try u64()) }

    public mutating func bool() throws(XDRError) -> Bool {
        switch try u32() {
        case 0: return false
        case 1: return true
        case let v: throw .invalid("bool \(v)")
        }
    }

    /// Fixed-length opaque data (padded to a multiple of four).
    public mutating func fixedOpaque(_ count: Int) throws(XDRError) -> [UInt8] {
        try bytes(count)
    }

    /// Variable-length opaque data of at most `max` bytes.
    public mutating func opaque(max: Int) throws(XDRError) -> [UInt8] {
        let count = Int(try u32())
        guard count <= max else { throw .tooLong(count) }
        return try bytes(count)
    }

    /// Variable-length opaque data as a slice of the input, without copying.
    public mutating func opaqueBuffer(max: Int) throws(XDRError) -> ByteBuffer {
        let count = Int(try u32())
        guard count <= max else { throw .tooLong(count) }
        let padded = (count + 3) & ~3
        guard buffer.readableBytes >= padded, let slice = buffer.getSlice(at: buffer.readerIndex, length: count) else {
            throw .truncated
        }
        buffer.moveReaderIndex(forwardBy: padded)
        return slice
    }

    /// A string of at most `max` bytes; the bytes are returned as they are (NFS names need not be UTF-8).
    public mutating func string(max: Int) throws(XDRError) -> [UInt8] { try opaque(max: max) }

    public mutating func utf8String(max: Int) throws(XDRError) -> String {
        let raw = try opaque(max: max)
        guard let s = String(validating: raw, as: UTF8.self) else { throw .invalid("not UTF-8") }
        return s
    }

    /// A counted array of at most `max` elements.
    public mutating func array<T>(max: Int, _ element: (inout XDRDecoder) throws(XDRError) -> T) throws(XDRError) -> [T] {
        let count = Int(try u32())
        guard count <= max else { throw .tooLong(count) }
        // Each element takes at least four bytes: refuse counts the input cannot hold before allocating.
        guard count <= buffer.readableBytes / 4 else { throw .truncated }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    /// An optional value (XDR `*T`): a bool, then the value if true.
    public mutating func optional<T>(_ element: (inout XDRDecoder) throws(XDRError) -> T) throws(XDRError) -> T? {
        try bool() ? try element(&self) : nil
    }

    public mutating func skip(_ count: Int) throws(XDRError) {
        let padded = (count + 3) & ~3
        guard count >= 0, buffer.readableBytes >= padded else { throw .truncated }
        buffer.moveReaderIndex(forwardBy: padded)
    }

    private mutating func bytes(_ count: Int) throws(XDRError) -> [UInt8] {
        let padded = (count + 3) & ~3
        guard count >= 0, buffer.readableBytes >= padded, let v = buffer.getBytes(at: buffer.readerIndex, length: count) else {
            throw .truncated
        }
        buffer.moveReaderIndex(forwardBy: padded)
        return v
    }
}
