import Foundation
import Hummingbird
import HTTPTypes
import GuichetCore

/// The admin listener answers only requests addressed to it by a name it knows (DNS rebinding,
/// threat R1). A page on `rebind.evil.example` whose name is made to resolve to 127.0.0.1
/// reaches the loopback-only admin listener from the administrator's own browser, as
/// same-origin to the attacker's page: the browser sends `Host: rebind.evil.example` and an
/// `Origin` of that same name, so an Origin check that compares the two passes. Only the Host
/// tells; a request is served only when it names a loopback address, the listener's
/// configured host or a name of `adminHostNames`.
struct AdminHostMiddleware: RouterMiddleware {
    typealias Context = GuichetContext
    /// Lowercased names (no port) accepted besides the loopback ones.
    let names: Set<String>

    init(names: [String]) {
        self.names = Set(names.compactMap { AdminHostMiddleware.hostName(of: $0) })
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // RFC 9112 §3.2: an HTTP/1.1 request without a Host is answered 400.
        guard let authority = request.head.authority else {
            return Problem.make(status: .badRequest, title: "Missing Host",
                                detail: "a request to the admin listener must carry a Host header naming it")
        }
        // RFC 9112 §3.2: more than one Host is answered 400 (the first one is the authority
        // above; a second one stays among the fields, and a proxy might route by it).
        if let hostField = HTTPField.Name("Host"), !request.headers[values: hostField].isEmpty {
            return Problem.make(status: .badRequest, title: "Several Host headers",
                                detail: "a request to the admin listener must carry exactly one Host header")
        }
        guard let host = Self.hostName(of: authority), ListenerConfiguration.isLoopback(host) || names.contains(host) else {
            // RFC 9110 §15.5.20: 421, the request was directed at a server not configured to answer for that name.
            return Problem.make(status: .misdirectedRequest, title: "Misdirected request",
                                detail: "the admin listener answers only to localhost, a loopback address or a name listed in adminHostNames (guichet.yaml)")
        }
        return try await next(request, context)
    }

    /// The host of an authority (`name`, `name:port`, `[v6]`, `[v6]:port`), lowercased, with
    /// its brackets and a final dot dropped; nil when it is not one of those forms.
    static func hostName(of authority: String) -> String? {
        var text = Substring(authority.lowercased())
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.first == ":" && Self.isPort(rest.dropFirst())) else { return nil }
            text = text[text.index(after: text.startIndex)..<close]
            return text.isEmpty ? nil : String(text)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            // A bare IPv6 address (a configured host, never a valid Host).
            return SourceAddress.bytes(String(text)) != nil ? String(text) : nil
        }
        if parts.count == 2 { guard Self.isPort(parts[1]) else { return nil } }
        var name = parts[0]
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, !name.contains("@") else { return nil }
        return String(name)
    }

    private static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
