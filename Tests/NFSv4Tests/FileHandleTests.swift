@testable import NFSv4
import Testing

/// Handles carry a MAC under the server's key; remembering verified handles must not widen what is accepted.
@Suite struct FileHandleTests {
    @Test func handlesVerifyOnceAndForgeriesAndOtherKeysStayRefused() throws {
        let codec = FileHandleCodec(key: FileHandleCodec.newKey())
        let other = FileHandleCodec(key: FileHandleCodec.newKey())
        let handle = FileHandle(fileSystem: 3, inode: 42, accessPoint: "fsap-0123456789abcdef0")
        let bytes = codec.encode(handle)
        for _ in 0..<3 { #expect(try codec.decode(bytes) == handle) }
        // Decoded (and remembered) on this thread by one codec: another key still refuses the same bytes.
        #expect(throws: NFSStatus.badhandle) { try other.decode(bytes) }
        // Every single-byte change is refused, before and after the genuine handle was remembered.
        for i in bytes.indices {
            var forged = bytes
            forged[i] ^= 0x01
            #expect(throws: NFSStatus.badhandle) { try codec.decode(forged) }
        }
        #expect(throws: NFSStatus.badhandle) { try codec.decode(Array(bytes.dropLast())) }
        // A codec built again from the same key (a restart) accepts what the first one made.
        let sameKey = FileHandleCodec(key: [UInt8](repeating: 7, count: 32))
        let made = sameKey.encode(handle)
        #expect(try FileHandleCodec(key: [UInt8](repeating: 7, count: 32)).decode(made) == handle)
    }
}
