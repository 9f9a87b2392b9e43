@testable import NFSv4
import NIOCore
import ONCRPC
import Synchronization
import XDR

/// A client's callback service, as far as tests need one: it answers CB_NULL and CB_COMPOUND (CB_SEQUENCE
/// echoed, CB_RECALL accepted, CB_GETATTR answered with `size` and `change`), and keeps what it was asked.
final class CallbackResponder: Sendable {
    struct Received: Sendable {
        var procedure: UInt32
        var minorVersion: UInt32 = 0
        var ident: UInt32 = 0
        /// CB_RECALL's stateid and file handle, when the compound carried one.
        var recalled: (StateID, [UInt8])?
        var getattr: [UInt8]?
    }

    private let received = Mutex<[Received]>([])
    let size = Mutex<UInt64>(0)
    let change = Mutex<UInt64>(0)

    var calls: [Received] { received.withLock { $0 } }
    var recalls: [(StateID, [UInt8])] { calls.compactMap(\.recalled) }

    /// Waits (polling) until `condition` holds for what has been received, at most `seconds`.
    func wait(seconds: Double = 5, until condition: ([Received]) -> Bool) async -> Bool {
        for _ in 0..<Int(seconds * 50) {
            if condition(calls) { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition(calls)
    }

    /// The results of a call of the callback program.
    func answer(procedure: UInt32, arguments: ByteBuffer) -> ByteBuffer {
        var out = ByteBuffer()
        guard procedure == 1 else {
            received.withLock { $0.append(Received(procedure: procedure)) }
            return out
        }
        var d = XDRDecoder(arguments)
        var record = Received(procedure: 1)
        var body = ByteBuffer()
        var count: UInt32 = 0
        do {
            let tag = try d.opaque(max: 1024)
            record.minorVersion = try d.u32()
            record.ident = try d.u32()
            let ops = try d.u32()
            out.xdrU32(0); out.xdrOpaque(tag)
            for _ in 0..<ops {
                let op = try d.u32()
                body.xdrU32(op); body.xdrU32(0)
                count += 1
                switch op {
                case 11:  // CB_SEQUENCE
                    let session = try d.fixedOpaque(16)
                    let sequence = try d.u32(), slot = try d.u32(), highest = try d.u32()
                    _ = try d.bool()
                    _ = try d.array(max: 16) { (d: inout XDRDecoder) throws(XDRError) in
                        _ = try d.fixedOpaque(16)
                        _ = try d.array(max: 64) { (d: inout XDRDecoder) throws(XDRError) in (try d.u32(), try d.u32()) }
                    }
                    body.xdrFixedOpaque(session); body.xdrU32(sequence); body.xdrU32(slot); body.xdrU32(highest); body.xdrU32(highest)
                case 4:  // CB_RECALL
                    let id = try StateID(decoding: &d)
                    _ = try d.bool()
                    record.recalled = (id, try d.opaque(max: 128))
                case 3:  // CB_GETATTR
                    record.getattr = try d.opaque(max: 128)
                    _ = try AttributeBitmap(decoding: &d)
                    AttributeBitmap([Attr.change, Attr.size]).encode(into: &body)
                    var values = ByteBuffer()
                    values.xdrU64(change.withLock { $0 }); values.xdrU64(size.withLock { $0 })
                    body.xdrOpaque(values)
                default:
                    body.moveWriterIndex(to: body.writerIndex - 4); body.xdrU32(NFSStatus.notsupp.rawValue)
                }
            }
        } catch {
            out.clear(); out.xdrU32(NFSStatus.badxdr.rawValue); out.xdrOpaque([]); out.xdrU32(0)
            return out
        }
        received.withLock { $0.append(record) }
        out.xdrU32(count)
        out.writeBuffer(&body)
        return out
    }
}

/// An NFSv4.0 client's callback server on loopback: the callback program over its own listener.
struct CallbackServer: RPCProgram {
    let program: UInt32 = 0x4000_0000
    let versions: ClosedRange<UInt32> = 1...1
    let responder = CallbackResponder()

    func call(procedure: UInt32, version: UInt32, arguments: ByteBuffer, context: RPCCallContext) async -> RPCReply {
        .success(responder.answer(procedure: procedure, arguments: arguments))
    }

    /// Starts listening; returns the server and its universal address ("127.0.0.1.p1.p2").
    static func start() async throws -> (CallbackServer, RPCServer, String) {
        let program = CallbackServer()
        let rpc = RPCServer(programs: [program], threads: 1)
        let port = try await rpc.start(host: "127.0.0.1", port: 0).port!
        return (program, rpc, "127.0.0.1.\(port >> 8).\(port & 0xFF)")
    }
}
