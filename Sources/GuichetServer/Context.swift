public import Hummingbird
import NIOCore
import GuichetCore

/// The request context of both listeners: the core storage and the peer's address.
public struct GuichetContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address (no port), when known: the peer's, or the one a trusted proxy
    /// forwarded (``TrustedProxies``).
    public internal(set) var source: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        // One spelling per address: a dual-stack listener's IPv4 client as IPv4 (SourceAddress).
        self.source = source.channel.remoteAddress?.ipAddress.map(SourceAddress.canonical)
    }

    /// Bodies are read by ``JSONBody`` with Guichet's own limit.
    public var maxUploadSize: Int { JSONBody.limit }
}

/// Registers routes on a router and remembers them, so that a test can compare the routes
/// that exist with those the OpenAPI document describes.
public final class RouteRecorder {
    public private(set) var routes: [(method: String, path: String)] = []
    let router: Router<GuichetContext>

    /// The server-rendered pages (HTML forms under `/web`), which the OpenAPI documents do
    /// not describe: they are not part of the API.
    public private(set) var pages: [(method: String, path: String)] = []

    /// The literal words of the routes, for the access log's unmatched paths.
    let words: RouteWords

    init(_ router: Router<GuichetContext>, words: RouteWords = RouteWords()) { self.router = router; self.words = words }

    func onPage(_ method: HTTPRequest.Method, _ path: String,
                _ handler: @escaping @Sendable (Request, GuichetContext) async throws -> Response) {
        pages.append((method.rawValue, path))
        words.add(pattern: path)
        router.on(RouterPath(path), method: method, use: handler)
    }

    func on(_ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (Request, GuichetContext) async throws -> Response) {
        routes.append((method.rawValue, path))
        words.add(pattern: path)
        router.on(RouterPath(path), method: method, use: handler)
    }
}
