import NIOCore

/// RFC 4506 encoding: big-endian, everything padded to four bytes. Inlinable, so callers in other modules get
/// versions specialised for their collection types (unspecialised generic writes cost a READDIR reply a third).
extension ByteBuffer {
    @inlinable public mutating func xdrU32(_ v: UInt32) { writeInteger(v, endianness: .big) }
    @inlinable public mutating func xdrI32(_ v: Int32) { writeInteger(v, endianness: .big) }
    @inlinable public mutating func xdrU64(_ v: UInt64) { writeInteger(v, endianness: .big) }
    @inlinable public mutating func xdrI64(_ v: Int64) { writeInteger(v, endianness: .big) }
    @inlinable public mutating func xdrBool(_ v: Bool) { xdrU32(v ? 1 : 0) }

    @inlinable public mutating func xdrFixedOpaque(_ bytes: some Collection<UInt8>) {
        writeBytes(bytes)
        xdrPad(bytes.count)
    }

    @inlinable public mutating func xdrOpaque(_ bytes: some Collection<UInt8>) {
        xdrU32(UInt32(bytes.count))
        xdrFixedOpaque(bytes)
    }

    @inlinable public mutating func xdrOpaque(_ bytes: ByteBuffer) {
        xdrU32(UInt32(bytes.readableBytes))
        var copy = bytes
        writeBuffer(&copy)
        xdrPad(bytes.readableBytes)
    }

    @inlinable public mutating func xdrString(_ s: String) { xdrOpaque(Array(s.utf8)) }

    /// A number as the XDR string of its decimal digits (NFSv4 owners and groups), with no String between.
    @inlinable public mutating func xdrDecimalString(_ v: UInt32) {
        // Four bytes of length and at most twelve of digits and pad.
        xdrRaw(maximum: 16) { $0.xdrDecimalString(v) }
    }

    @inlinable public mutating func xdrArray<T>(_ items: [T], _ element: (inout ByteBuffer, T) -> Void) {
        xdrU32(UInt32(items.count))
        for item in items { element(&self, item) }
    }

    @inlinable mutating func xdrPad(_ count: Int) {
        let pad = (4 - count % 4) % 4
        if pad > 0 { writeRepeatingByte(0, count: pad) }
    }
}
