import NFSClient
import NIOCore
import NIOPosix
import ONCRPC
import Testing
import XDR

/// The load generator's RPC client frames calls as RFC 5531 says: a server sees each call's credential and
/// every byte of its arguments, whether they went out in the header's buffer or after it.
@Suite struct RPCClientTests {
    /// Answers procedure 1 with the caller's uid, gid and machine name, then its arguments as they arrived.
    struct Echo: RPCProgram {
        let program: UInt32 = 400_042
        let versions: ClosedRange<UInt32> = 1...1
        func call(procedure: UInt32, version: UInt32, arguments: ByteBuffer, context: RPCCallContext) async -> RPCReply {
            guard procedure == 1, case .sys(let p) = context.credential else { return .procedureUnavailable }
            var out = ByteBuffer()
            out.xdrU32(p.uid); out.xdrU32(p.gid); out.xdrOpaque(p.machineName)
            out.xdrOpaque(Array(arguments.readableBytesView))
            return .success(out)
        }
    }

    @Test func argumentsOfEverySizeArriveWholeWithTheCredential() async throws {
        let server = RPCServer(programs: [Echo()], maxRecordSize: 4 << 20, threads: 1)
        let address = try await server.start(host: "127.0.0.1", port: 0)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let credential = RPCCredential.sys(AuthSysParameters(machineName: Array("bench-host".utf8), uid: 1234, gid: 56))
        let client = try await RPCClient.connect(host: "127.0.0.1", port: address.port!, group: group, credential: credential)
        // Both sides of the size up to which arguments are copied into the header's buffer, and a 1 MiB WRITE's.
        let sizes = [0, 1, 100, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, (1 << 20) + 3]
        try await withThrowingTaskGroup(of: Void.self) { calls in
            for (n, size) in sizes.enumerated() {
                calls.addTask {
                    let sent = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }
                    var d = try await client.call(program: 400_042, version: 1, procedure: 1, arguments: ByteBuffer(bytes: sent))
                    #expect(try d.u32() == 1234)
                    #expect(try d.u32() == 56)
                    #expect(try d.opaque(max: 255) == Array("bench-host".utf8))
                    #expect(try d.opaque(max: 2 << 20) == sent, "arguments of \(size) bytes")
                }
            }
            try await calls.waitForAll()
        }
        await client.close()
        try await group.shutdownGracefully()
        await server.stop()
    }
}
