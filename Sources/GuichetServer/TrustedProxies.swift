import Foundation
import Hummingbird
import HTTPTypes
import GuichetCore
import Logging
import Synchronization

/// The reverse proxies whose `Forwarded` (RFC 7239) and `X-Forwarded-For` headers are
/// believed (#16). Behind the TLS proxy a public deployment needs, every connection comes from
/// the proxy: without this, per-source throttling, the registrations allowed per address and
/// a breach scope by address would treat every citizen as one. From any other peer those
/// headers are ignored, so a client cannot choose the address it is counted under.
public struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        let bytes: [UInt8]
        let prefix: Int

        /// Wider than a proxy's network could be (a controls audit started a server trusting
        /// `0.0.0.0/0`, and any client then wrote its own address into the ledger): shorter
        /// than a /16 of IPv4 or a /48 of IPv6, unless inside a private range.
        var tooWide: Bool {
            if bytes.count == 4 {
                guard prefix < 16 else { return false }
                let privateRanges: [(Network)] = [Network(bytes: [10, 0, 0, 0], prefix: 8), Network(bytes: [172, 16, 0, 0], prefix: 12),
                                                  Network(bytes: [100, 64, 0, 0], prefix: 10)]
                return !privateRanges.contains { $0.prefix <= prefix && $0.contains(bytes) }
            }
            guard prefix < 48 else { return false }
            return !(prefix >= 7 && bytes[0] & 0xFE == 0xFC)
        }

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefix
            for (a, b) in zip(address, bytes) {
                if left <= 0 { return true }
                let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
                if a & mask != b & mask { return false }
                left -= 8
            }
            return true
        }
    }

    /// The one forwarding header the proxies write: the other is ignored, since a proxy passes
    /// on whatever a client sent in a header it does not write itself. nginx and HAProxy append
    /// the client to `X-Forwarded-For` and pass a client's `Forwarded` through unchanged: read
    /// first, `Forwarded` let an attacker choose the address it was counted under (an attacker's
    /// audit: 40 wrong passwords, 40 addresses, no 429).
    public enum Header: String, Sendable, CaseIterable {
        case xForwardedFor = "x-forwarded-for"
        case forwarded
    }

    let networks: [Network]
    /// The header read for the client's address (``Header``).
    public let header: Header

    /// No proxy is trusted: the peer's address is the source (the default).
    public static let none = TrustedProxies(networks: [])

    public var isEmpty: Bool { networks.isEmpty }

    /// - Parameters:
    ///   - entries: addresses or networks (`10.0.0.5`, `192.0.2.0/24`, `2001:db8::/32`).
    ///   - header: the forwarding header those proxies write (``Header``).
    /// - Throws: ``GuichetError/invalid(_:)`` naming the entry that is neither.
    public init(_ entries: [String], header: Header = .xForwardedFor) throws {
        self.header = header
        networks = try entries.map { raw in
            let entry = raw.trimmingCharacters(in: .whitespaces)
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let first = parts.first, let bytes = Self.parse(first) else {
                throw GuichetError.invalid("trusted proxy '\(entry)' is not an IP address or network (10.0.0.5, 192.0.2.0/24, 2001:db8::/64)")
            }
            // An IPv4 network written mapped into IPv6 (`::ffff:10.0.0.0/104`) is read as IPv4.
            let mapped = first.contains(":") && bytes.count == 4
            var prefix = bytes.count * 8
            if parts.count == 2 {
                let written = mapped ? 128 : bytes.count * 8
                guard let p = Int(parts[1]), ((mapped ? 96 : 0)...written).contains(p) else {
                    throw GuichetError.invalid("trusted proxy '\(entry)': the prefix length must be \(mapped ? 96 : 0) to \(written)")
                }
                prefix = mapped ? p - 96 : p
            }
            let network = Network(bytes: bytes, prefix: prefix)
            guard !network.tooWide else {
                throw GuichetError.invalid("trusted proxy '\(entry)' is too wide: any client in it could choose the address the ledger, the breach scopes "
                                           + "and the throttles record; list your proxies (one address, or a network of your own: at most a /16 of "
                                           + "public IPv4 or a /48 of IPv6; 10.0.0.0/8, 172.16.0.0/12, 100.64.0.0/10 and fc00::/7 may be given whole)")
            }
            return network
        }
    }

    init(networks: [Network], header: Header = .xForwardedFor) { self.networks = networks; self.header = header }

    /// Whether an address is one of the trusted proxies.
    public func trusts(_ address: String) -> Bool {
        guard let bytes = Self.parse(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client's address: the peer itself unless the peer is a trusted proxy; then the
    /// nearest address of the forwarding chain of the proxies' one header (``header``:
    /// `X-Forwarded-For` by default, or `Forwarded: for=`; the other is ignored) that is not a
    /// trusted proxy, read from the right (the left part is the client's own word). A header
    /// that is missing or does not parse leaves the peer's address.
    public func client(peer: String?, forwarded: String?, forwardedFor: String?) -> String? {
        guard let peer, trusts(peer) else { return peer.map(Self.canonical) }
        let chain: [String]
        switch header {
        case .forwarded:
            guard let forwarded, let parsed = Self.forwardedChain(forwarded) else { return peer }
            chain = parsed
        case .xForwardedFor:
            guard let forwardedFor else { return peer }
            chain = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard !chain.isEmpty, chain.allSatisfy({ Self.parse($0) != nil }) else { return peer }
        for address in chain.reversed() where !trusts(address) { return Self.canonical(address) }
        return Self.canonical(chain[0])
    }

    /// The `for=` addresses of a `Forwarded` header, in order (RFC 7239 §4-§6): quoted IPv6 in
    /// brackets, an optional port dropped. Nil when an element has no usable `for=`.
    static func forwardedChain(_ header: String) -> [String]? {
        var out: [String] = []
        for element in header.split(separator: ",") {
            var found: String?
            for pair in element.split(separator: ";") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2, kv[0].lowercased() == "for" else { continue }
                var v = kv[1]
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                if v.hasPrefix("[") {
                    guard let close = v.firstIndex(of: "]") else { return nil }
                    v = String(v[v.index(after: v.startIndex)..<close])
                } else if v.filter({ $0 == ":" }).count == 1 {
                    v = String(v.split(separator: ":")[0])  // IPv4 with a port
                }
                found = v
            }
            guard let found else { return nil }
            out.append(found)
        }
        return out.isEmpty ? nil : out
    }

    /// The address's bytes (4 for IPv4, 16 for IPv6), or nil.
    /// An address's bytes (``SourceAddress``: an IPv4 address mapped into IPv6 is read as IPv4).
    static func parse(_ text: String) -> [UInt8]? { SourceAddress.bytes(text) }

    /// One spelling per address (``SourceAddress/canonical(_:)``).
    static func canonical(_ text: String) -> String { SourceAddress.canonical(text) }
}

/// Replaces the context's source with the client's address when the peer is a trusted proxy.
struct ForwardedMiddleware: RouterMiddleware {
    typealias Context = GuichetContext
    let proxies: TrustedProxies
    /// Where the warning below goes (once a process).
    var logger: Logger? = nil
    static let forwarded = HTTPField.Name("Forwarded")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// Whether the warning was written.
    static let warned = Atomic<Bool>(false)

    /// The warning a server writes once when a loopback or private peer forwards requests and
    /// no proxy is listed: every client then counts as the proxy (an attacker's audit: 30 wrong
    /// passwords from anyone held every user's sign-in for 10 minutes).
    static let unlistedProxy = "requests from a proxy carry X-Forwarded-For or Forwarded, but no trusted proxy is listed: every client counts as the proxy's address, "
        + "so one client's failed sign-ins hold everyone's; list the proxy in trustedProxies (OPERATIONS.md, 'Behind a reverse proxy')"

    /// Whether a request comes through a proxy that is not listed: a forwarding header from a
    /// loopback or private address (a client on the Internet may send one to anyone).
    static func throughUnlistedProxy(peer: String?, _ headers: HTTPFields) -> Bool {
        guard headers[forwardedFor] != nil || headers[forwarded] != nil, let peer, let bytes = SourceAddress.bytes(peer) else { return false }
        switch bytes.count {
        case 4: return bytes[0] == 127 || bytes[0] == 10 || (bytes[0] == 172 && bytes[1] & 0xF0 == 16) || (bytes[0] == 192 && bytes[1] == 168)
        case 16: return bytes == [UInt8](repeating: 0, count: 15) + [1] || bytes[0] & 0xFE == 0xFC
        default: return false
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !proxies.isEmpty else {
            if let logger, Self.throughUnlistedProxy(peer: context.source, request.headers),
               !Self.warned.exchange(true, ordering: .relaxed) {
                logger.warning("\(Self.unlistedProxy)")
            }
            return try await next(request, context)
        }
        var context = context
        context.source = proxies.client(peer: context.source, forwarded: request.headers[Self.forwarded],
                                        forwardedFor: request.headers[values: Self.forwardedFor].joined(separator: ","))
        return try await next(request, context)
    }
}
