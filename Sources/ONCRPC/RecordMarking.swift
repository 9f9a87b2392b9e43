import NIOCore

public struct RecordTooLarge: Error, Sendable {
    public let size: Int
}

/// RFC 5531 §11 record marking: joins fragments into records. A record over `maxRecordSize` is refused
/// before any of it is buffered (the connection is then closed: its xid is unknown, so nothing can be answered).
///
/// A small record that has fully arrived is handed on as a slice of what was read. A large one (a 1 MiB WRITE)
/// is gathered into a buffer of its own as its bytes arrive, so the read buffer is always consumed whole:
/// it never has to be compacted by moving the start of the next record (a copy of up to a record per record),
/// and the record's buffer holds nothing else (NIO rounds its size up to a power of two: a 1 MiB WRITE's
/// record takes 2 MiB, which is why `PendingWrites` copies such payloads rather than keep the buffer).
/// A connection holds at most one such buffer, of at most `maxRecordSize`.
public struct RecordMarkingDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer
    public let maxRecordSize: Int
    /// Records from this size on get a buffer of their own.
    public static let ownBufferSize = 64 * 1024
    /// The record being gathered: its fragments so far.
    private var gathered: ByteBuffer?
    /// Bytes of the current fragment still to come, and whether it is the record's last.
    private var fragmentLeft = 0
    private var fragmentIsLast = false

    public init(maxRecordSize: Int) { self.maxRecordSize = maxRecordSize }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if fragmentLeft > 0 {
            let n = min(fragmentLeft, buffer.readableBytes)
            guard n > 0 else { return .needMoreData }
            var piece = buffer.readSlice(length: n)!
            gathered!.writeBuffer(&piece)
            fragmentLeft -= n
            if fragmentLeft == 0 { finishFragment(context) }
            return .continue
        }
        guard let header = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return .needMoreData
        }
        let last = header & 0x8000_0000 != 0
        let length = Int(header & 0x7FFF_FFFF)
        let total = (gathered?.readableBytes ?? 0) + length
        guard total <= maxRecordSize else { throw RecordTooLarge(size: total) }
        if gathered == nil, last, length < Self.ownBufferSize {
            guard buffer.readableBytes >= 4 + length else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: 4)
            context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: length)!))
            return .continue
        }
        buffer.moveReaderIndex(forwardBy: 4)
        if gathered == nil {
            gathered = context.channel.allocator.buffer(capacity: length)
        } else {
            gathered!.reserveCapacity(minimumWritableBytes: length)
        }
        fragmentLeft = length
        fragmentIsLast = last
        if length == 0 { finishFragment(context) }
        return .continue
    }

    private mutating func finishFragment(_ context: ChannelHandlerContext) {
        guard fragmentIsLast, let record = gathered else { return }
        gathered = nil
        context.fireChannelRead(wrapInboundOut(record))
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

extension ByteBuffer {
    /// A record mark for a single last fragment of `length` bytes.
    public static func recordMark(length: Int) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(UInt32(length) | 0x8000_0000, endianness: .big)
        return b
    }
}
