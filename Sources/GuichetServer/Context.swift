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
        words.add(pattern: path, method: method.rawValue)
        router.on(RouterPath(path), method: method, use: handler)
    }

    func on(_ method: HTTPRequest.Method, _ path: String,
            _ handler: @escaping @Sendable (Request, GuichetContext) async throws -> Response) {
        routes.append((method.rawValue, path))
        words.add(pattern: path, method: method.rawValue)
        router.on(RouterPath(path), method: method, use: handler)
    }

    /// The methods a path answers to, as an `Allow` header lists them (HEAD wherever GET is:
    /// the router answers it from the GET handler, without the body).
    static func allowed(_ methods: Set<String>) -> String {
        (methods.contains("GET") ? methods.union(["HEAD"]) : methods).sorted().joined(separator: ", ")
    }
}

/// A method a path does not answer is 405 with the `Allow` header its methods make
/// (RFC 9110 §15.5.6), and OPTIONS is 204 with the same header, where the router alone says
/// 404 as if the path did not exist (schemathesis: TRACE, QUERY or PUT on a route that has
/// none of them). A path no route has stays 404.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = GuichetContext
    let routes: RouteWords
    /// The page for a GET of a page address that only answers a form (`/web/…`).
    var formAddressPage: (@Sendable (Request) throws -> Response)? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let methods = routes.methods(path: request.uri.path), !methods.contains(request.method.rawValue),
                  !(request.method == .head && methods.contains("GET")) else { throw error }
            let allow = RouteRecorder.allowed(methods)
            if request.method == .options {
                var r = Response(status: .noContent)
                r.headers[.allow] = allow
                return r
            }
            if request.method == .get, let formAddressPage, WebNotFoundMiddleware.isPage(request.uri.path) {
                var page = try formAddressPage(request)
                page.headers[.allow] = allow
                return page
            }
            var r = Problem.make(status: .methodNotAllowed, title: "Method not allowed",
                                 detail: "this path does not accept \(GuichetError.echo(request.method.rawValue)); it answers \(allow)")
            r.headers[.allow] = allow
            return r
        }
    }
}

/// A `Guichet-Purpose` header names one of the profile's purposes, on every route: a route
/// that does not use it refuses a wrong one as the gate does (400), rather than ignoring it,
/// so that a client learns of its mistake wherever it sends the header.
struct PurposeHeaderMiddleware: RouterMiddleware {
    typealias Context = GuichetContext
    let purposes: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let purpose = request.headers[GuichetServer.purposeHeader], !purposes.contains(purpose) {
            throw GuichetError.invalid("unknown purpose (expected one of: \(purposes.joined(separator: ", ")))")
        }
        return try await next(request, context)
    }
}
