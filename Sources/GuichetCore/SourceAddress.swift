import Foundation

/// A client's address as the listeners report it (text), read as an address: what the
/// per-address limits and the watch's network detectors group by. Text that is written
/// differently but names the same address (`2001:DB8::1`, `2001:db8:0:0::1`) gives the same
/// result, and an IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`, what a dual-stack
/// listener reports for an IPv4 client) is read as the IPv4 address it is.
public enum SourceAddress {
    /// The address's bytes: 4 for IPv4 (mapped ones included), 16 for IPv6; a zone (`%eth0`)
    /// is ignored. Nil when the text is no address.
    public static func bytes(_ text: String) -> [UInt8]? {
        let address = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
        if !address.contains(":") {
            var v4 = in_addr()
            guard inet_pton(AF_INET, address, &v4) == 1 else { return nil }
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xff && raw[11] == 0xff { return Array(raw[12..<16]) }
        return raw
    }

    /// The network of the address, as text: its first `ipv4` bits for an IPv4 address, its
    /// first `ipv6` bits for an IPv6 one (`192.0.2.0/24`, `2001:db8::/48`). Nil when the text
    /// is no address.
    public static func network(_ text: String, ipv4: Int, ipv6: Int) -> String? {
        guard var raw = bytes(text) else { return nil }
        let bits = raw.count == 4 ? ipv4 : ipv6
        for index in raw.indices {
            let kept = min(8, max(0, bits - index * 8))
            raw[index] &= kept == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - kept))
        }
        return format(raw) + "/\(bits)"
    }

    /// One spelling per address: `2001:DB8:0::1` as `2001:db8::1`, `::ffff:192.0.2.1` as
    /// `192.0.2.1`, so that the ledger records, and a breach scope looks up, one text per
    /// address. Text that is no address is kept as it is.
    public static func canonical(_ text: String) -> String {
        bytes(text).map(format) ?? text
    }

    /// The address's canonical text (RFC 5952 for IPv6, as `inet_ntop` writes it).
    public static func format(_ raw: [UInt8]) -> String {
        if raw.count == 4 { return raw.map(String.init).joined(separator: ".") }
        var v6 = in6_addr()
        withUnsafeMutableBytes(of: &v6) { $0.copyBytes(from: raw) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &v6, &text, socklen_t(text.count)) != nil else { return raw.map { String($0, radix: 16) }.joined(separator: ":") }
        return String(cString: text)
    }
}
