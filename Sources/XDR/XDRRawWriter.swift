import NIOCore

/// RFC 4506 encoding by plain stores into space taken from a ByteBuffer once. ByteBuffer checks capacity,
/// uniqueness and exclusive access on every integer it writes, and fattr4 or a READDIR entry is a dozen or more
/// of them: those checks cost a 1,000-entry READDIR reply more than its values. Every store is bounds-checked
/// against the space taken, so an underestimate traps instead of writing past it.
public struct XDRRawWriter {
    @usableFromInline let space: UnsafeMutableRawBufferPointer
    @usableFromInline var written = 0
    /// Bytes written so far, from the start of the space.
    @inlinable public var count: Int { written }

    @inlinable public init(_ space: UnsafeMutableRawBufferPointer) { self.space = space }

    @inlinable mutating func advance(_ n: Int) -> Int {
        let at = written
        precondition(n <= space.count - at, "XDR value past the space taken for it")
        written = at + n
        return at
    }

    @inlinable public mutating func xdrU32(_ v: UInt32) {
        space.storeBytes(of: v.bigEndian, toByteOffset: advance(4), as: UInt32.self)
    }
    @inlinable public mutating func xdrU64(_ v: UInt64) {
        space.storeBytes(of: v.bigEndian, toByteOffset: advance(8), as: UInt64.self)
    }
    @inlinable public mutating func xdrI64(_ v: Int64) { xdrU64(UInt64(bitPattern: v)) }
    @inlinable public mutating func xdrBool(_ v: Bool) { xdrU32(v ? 1 : 0) }

    /// Overwrites a u32 written earlier (a length known only after what it measures).
    @inlinable public mutating func setU32(_ v: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset <= count - 4, "XDR patch outside what was written")
        space.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inlinable public mutating func xdrFixedOpaque(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let padded = (bytes.count + 3) & ~3
        let at = advance(padded)
        bytes.withUnsafeBytes { space.baseAddress!.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        // The pad is zero; so are the rest of the last word's bytes.
        for i in bytes.count..<padded { space[at + i] = 0 }
    }

    @inlinable public mutating func xdrOpaque(_ bytes: [UInt8]) {
        xdrU32(UInt32(bytes.count))
        xdrFixedOpaque(bytes)
    }

    /// A number as the XDR string of its decimal digits (NFSv4 owners and groups).
    @inlinable public mutating func xdrDecimalString(_ v: UInt32) {
        var digits = 1, rest = v
        while rest >= 10 { rest /= 10; digits += 1 }
        xdrU32(UInt32(digits))
        let padded = (digits + 3) & ~3
        let at = advance(padded)
        var value = v
        for i in stride(from: digits - 1, through: 0, by: -1) { space[at + i] = UInt8(48 + value % 10); value /= 10 }
        for i in digits..<padded { space[at + i] = 0 }
    }
}

extension ByteBuffer {
    /// Writes up to `maximum` bytes of XDR through an `XDRRawWriter`, with one capacity check for all of them.
    @inlinable public mutating func xdrRaw(maximum: Int, _ body: (inout XDRRawWriter) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: maximum) { space in
            var writer = XDRRawWriter(space)
            body(&writer)
            return writer.count
        }
    }
}
