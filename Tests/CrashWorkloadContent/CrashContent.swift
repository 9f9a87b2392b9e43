import NIOCore

/// What the crash workload writes as version `version` of file `k` (its length depends on k only), so the
/// crash test can tell a whole old version, a whole new one, and anything else apart.
public enum CrashContent {
    public static func file(_ k: Int, version: Int) -> ByteBuffer {
        var state = UInt64(k * 1_000_003 + version) &* 0x9E37_79B9_7F4A_7C15 | 1
        var buffer = ByteBuffer()
        for _ in 0..<(100_000 + k * 60_000) / 8 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            buffer.writeInteger(state)
        }
        return buffer
    }
}
