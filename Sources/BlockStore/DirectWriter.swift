#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CStrataLinux
import Locking
import NIOCore

/// Writes a block past the page cache (O_DIRECT), staged through reused page-aligned buffers. A buffered
/// write copies every byte into page-cache pages, and on a VM whose host takes back freed guest memory a
/// fresh page costs a host fault on first touch: a 32 MiB block of slices took ~90 ms of CPU, all of it
/// competing with the threads that answer clients. Here the CPU only copies into a buffer that stays mapped.
enum DirectWriter {
    /// Bytes staged per write call; offsets and lengths stay multiples of `alignment`.
    static let stagingBytes = 1 << 20
    static let alignment = 4096

    /// Staging buffers kept between puts (allocating one would touch fresh pages each time).
    private static let spare = AdaptiveMutex<[UnsafeMutableRawPointer]>([])
    private static let mostSpare = 4

    /// Writes `parts` back to back from offset 0 of `fd` and cuts the file to their length. False, having
    /// written nothing, where the file system refuses O_DIRECT (the caller then writes through the cache).
    static func write(_ fd: Int32, _ parts: [ByteBuffer]) throws -> Bool {
        guard strata_set_direct_io(fd, 1) == 0 else { return false }
        let staging = try take()
        defer { give(staging) }
        do {
            try stage(parts, through: staging) { count, offset in try writeFully(fd, staging, count, at: offset) }
        } catch is Refused {
            _ = strata_set_direct_io(fd, 0)
            return false
        }
        let total = parts.reduce(0) { $0 + $1.readableBytes }
        // The last write was padded to the alignment: the file is cut back to the block's length.
        if total % alignment != 0, ftruncate(fd, off_t(total)) != 0 {
            throw BlockStoreError.io(operation: "ftruncate", errno: errno)
        }
        return true
    }

    /// Copies `parts` into `staging` and hands over each full buffer, then the rest padded with zeros to
    /// the alignment: `write(count, offset)`.
    private static func stage(_ parts: [ByteBuffer], through staging: UnsafeMutableRawPointer,
                              _ write: (Int, Int) throws -> Void) throws {
        var staged = 0, offset = 0
        for part in parts {
            try part.withUnsafeReadableBytes { bytes in
                var from = 0
                while from < bytes.count {
                    let count = min(bytes.count - from, stagingBytes - staged)
                    (staging + staged).copyMemory(from: bytes.baseAddress! + from, byteCount: count)
                    staged += count; from += count
                    if staged == stagingBytes { try write(staged, offset); offset += staged; staged = 0 }
                }
            }
        }
        guard staged > 0 else { return }
        let padded = (staged + alignment - 1) / alignment * alignment
        (staging + staged).initializeMemory(as: UInt8.self, repeating: 0, count: padded - staged)
        try write(padded, offset)
    }

    private static func writeFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let n = pwrite(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                // A file system that takes the flag but not the writes (alignment): through the cache.
                if errno == EINVAL && offset == 0 && done == 0 { throw Refused() }
                throw BlockStoreError.io(operation: "pwrite (direct)", errno: errno)
            }
            guard n > 0 else { throw BlockStoreError.io(operation: "pwrite (direct)", errno: EIO) }
            done += n
        }
    }

    private struct Refused: Error {}

    private static func take() throws -> UnsafeMutableRawPointer {
        if let buffer = spare.withLock({ $0.popLast() }) { return buffer }
        var buffer: UnsafeMutableRawPointer?
        guard posix_memalign(&buffer, alignment, stagingBytes) == 0, let buffer else {
            throw BlockStoreError.io(operation: "posix_memalign", errno: ENOMEM)
        }
        return buffer
    }

    private static func give(_ buffer: UnsafeMutableRawPointer) {
        let kept = spare.withLock { list -> Bool in
            guard list.count < mostSpare else { return false }
            list.append(buffer)
            return true
        }
        if !kept { free(buffer) }
    }
}
