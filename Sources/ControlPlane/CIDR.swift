/// An IPv4 or IPv6 network.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let address: [UInt8]
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let prefix = Int(parts[1]), let address = CIDR.parseAddress(String(parts[0])),
              prefix >= 0, prefix <= address.count * 8 else { return nil }
        self.address = CIDR.masked(address, prefix)
        self.prefix = prefix
    }

    public var description: String { CIDR.format(address) + "/\(prefix)" }

    public func contains(_ ip: [UInt8]) -> Bool {
        ip.count == address.count && CIDR.masked(ip, prefix) == address
    }

    public func contains(_ text: String) -> Bool { CIDR.parseAddress(text).map(contains) ?? false }

    /// Usable IPv4 host addresses, AWS style: the first four and the last of the block are reserved.
    public func hostAddresses() -> [String] {
        guard address.count == 4, prefix <= 28 else { return [] }
        let base = address.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let size = UInt32(1) << UInt32(32 - prefix)
        return (4..<(size - 1)).map { offset in
            let v = base + offset
            return "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)"
        }
    }

    public static func parseAddress(_ text: String) -> [UInt8]? {
        if text.contains(":") { return parseIPv6(text) }
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 != nil }) else { return nil }
        return octets.map { $0! }
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            s.isEmpty ? [] : s.split(separator: ":", omittingEmptySubsequences: false).map { UInt16($0, radix: 16) }
                .reduce([UInt16]?([])) { acc, g in g.flatMap { v in acc.map { $0 + [v] } } }
        }
        guard let head = groups(halves[0]) else { return nil }
        let tail = halves.count == 2 ? groups(halves[1]) : []
        guard let tail else { return nil }
        let fill = 8 - head.count - tail.count
        guard fill >= 0, halves.count == 2 || fill == 0 else { return nil }
        return (head + [UInt16](repeating: 0, count: fill) + tail).flatMap { [UInt8($0 >> 8), UInt8($0 & 255)] }
    }

    static func masked(_ ip: [UInt8], _ prefix: Int) -> [UInt8] {
        ip.enumerated().map { i, b in
            let bits = max(0, min(8, prefix - i * 8))
            return bits == 8 ? b : b & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }

    /// An address as people write it: dotted IPv4, or IPv6 as RFC 5952 §4 says (the longest run of two or
    /// more zero groups, the first of equals, becomes "::").
    public static func format(_ ip: [UInt8]) -> String {
        if ip.count == 4 { return ip.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: ip.count, by: 2).map { UInt16(ip[$0]) << 8 | UInt16(ip[$0 + 1]) }
        var best: Range<Int>?, start: Int?
        for i in 0...groups.count {
            if i < groups.count && groups[i] == 0 { start = start ?? i; continue }
            if let s = start, i - s >= 2, i - s > (best?.count ?? 0) { best = s..<i }
            start = nil
        }
        let text = { (range: ArraySlice<UInt16>) in range.map { String($0, radix: 16) }.joined(separator: ":") }
        guard let run = best else { return text(groups[...]) }
        return text(groups[..<run.lowerBound]) + "::" + text(groups[run.upperBound...])
    }
}
