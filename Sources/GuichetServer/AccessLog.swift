import Foundation
import GuichetCore
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// The id of one request: the one a trusted proxy sent in `X-Request-Id`, if it is well
/// formed, else a new random one. It is on every log line written while the request is served
/// (``RequestLog/id``), on the ledger entries the request makes, and in the response's
/// `X-Request-Id` header, so that an operator can follow one request from the proxy's log to
/// Guichet's log and the ledger.
enum GuichetRequestID {
    static let header = HTTPField.Name("X-Request-Id")!

    /// A new id: 96 random bits, base64url (16 characters).
    static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<12).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// Whether a forwarded id may be used: 1 to 64 characters among letters, digits, `-`, `_`,
    /// `.` and `:` (a UUID, nginx's `$request_id`, Envoy's and HAProxy's ids all are). Anything
    /// else could carry a forged log line, a personal value or a very long header into the logs
    /// and the ledger, and is replaced.
    static func acceptable(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F || c == 0x2E || c == 0x3A
        }
    }

    /// The request's id: the forwarded one when the peer is a trusted proxy and the id is
    /// acceptable, else a new one. A client that is not a trusted proxy chooses nothing.
    static func resolve(peer: String?, forwarded: String?, proxies: TrustedProxies) -> String {
        if let peer, let forwarded, proxies.trusts(peer), acceptable(forwarded) { return forwarded }
        return make()
    }
}

/// The literal segments of one listener's routes (`v1`, `dossiers`, `web`, `.well-known`...),
/// gathered as the routes are added (``RouteRecorder``): the only words an unmatched path
/// keeps in the access log (``AccessLogMiddleware/loggable(path:words:)``).
final class RouteWords: Sendable {
    private let words = Mutex<Set<String>>([])
    /// Each pattern's segments (nil for a parameter) and the methods it answers.
    private let patterns = Mutex<[[String?]: Set<String>]>([:])

    /// Adds the literal segments of a route's pattern (never a parameter such as `{id}`), and
    /// the pattern with its method.
    func add(pattern: String, method: String? = nil) {
        let literal = pattern.split(separator: "/").filter { s in !s.contains("{") && !s.hasPrefix(":") && !s.contains("*") }.map(String.init)
        words.withLock { $0.formUnion(literal) }
        guard let method else { return }
        let segments: [String?] = pattern.split(separator: "/").map { s in s.hasPrefix(":") || s.contains("{") ? nil : String(s) }
        patterns.withLock { $0[segments, default: []].insert(method) }
    }

    /// The methods the route of this path answers, as the router would match it (the pattern
    /// with the most literal segments first); nil when no route has this path.
    func methods(path: String) -> Set<String>? {
        let parts = path.split(separator: "/")
        return patterns.withLock { all in
            var best: (literals: Int, methods: Set<String>)?
            for (segments, methods) in all where segments.count == parts.count {
                var literals = 0, fits = true
                for (segment, part) in zip(segments, parts) {
                    guard let segment else { continue }
                    if segment == part { literals += 1 } else { fits = false; break }
                }
                if fits, best.map({ literals > $0.literals }) ?? true { best = (literals, methods) }
            }
            return best?.methods
        }
    }

    var all: Set<String> { words.withLock { $0 } }
}

/// The outermost middleware of both listeners: gives the request its id (``GuichetRequestID``),
/// serves it with that id in the task-local ``RequestLog/id``, returns it in `X-Request-Id`,
/// and writes one access-log line: listener, method, route (the pattern, such as
/// `/v1/dossiers/{id}`; the path, redacted, only when no route matched), status, duration and
/// request id. Never the query string (a search may hold a name), a body, a header or a token.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = GuichetContext
    let listener: String
    let proxies: TrustedProxies
    /// Nil: no access log (tests of other behaviour); the request id is given all the same.
    let logger: Logger?
    /// The words of this listener's routes, which an unmatched path may show.
    var words = RouteWords()

    /// Longest unmatched path written to the log.
    static let maxPath = 120

    /// Endings of the files scanners ask for (`wp-login.php`, `config.yml.bak`): a segment that
    /// ends so is kept, so that scans stay readable; a surname ends in none of them.
    static let scannedEndings = [".php", ".asp", ".aspx", ".jsp", ".cgi", ".pl", ".py", ".rb", ".sh", ".txt", ".xml", ".json", ".yml",
                                 ".yaml", ".ini", ".conf", ".config", ".cfg", ".env", ".bak", ".old", ".sql", ".zip", ".gz", ".tar", ".log",
                                 ".html", ".htm", ".js", ".css", ".map", ".ico", ".png", ".svg", ".action", ".do"]

    /// The files scanners ask for by name (lowercased), kept whole in the log.
    static let scannedNames: Set<String> = [
        ".env", ".env.local", ".env.production", ".env.bak", ".git", ".gitignore", ".git-credentials", ".htaccess", ".htpasswd", ".aws", ".ssh",
        ".svn", ".hg", ".ds_store", ".vscode", ".idea", ".npmrc", ".dockerenv", ".bash_history", ".well-known", "wp-login.php", "wp-config.php",
        "xmlrpc.php", "phpinfo.php", "info.php", "index.php", "admin.php", "config.php", "setup.php", "install.php", "login.php", "shell.php",
        "web.config", "config.json", "config.yml", "config.yaml", "settings.py", "robots.txt", "sitemap.xml", "favicon.ico", "security.txt",
        "ads.txt", "humans.txt", "backup.zip", "backup.sql", "dump.sql", "database.sql", "db.sql", "id_rsa", "server-status", "actuator",
        "wp-admin", "wp-content", "wp-includes", "phpmyadmin", "vendor", "cgi-bin", "console", "manager", "boaform", "hnap1",
    ]

    /// A path no route matched, as the log shows it. Kept: the literal words of this listener's
    /// routes (`/v1/dossiers`), and what scanners ask for (a segment that starts with a dot,
    /// `.env`, `.git`, or ends as a file they look for, `wp-login.php`), made of ASCII letters,
    /// digits, `.`, `-` and `_`, at most 40. An identifier becomes `{id}`, as in a route's
    /// pattern; any other segment becomes `…`, for a word that is not a route's may be a name:
    /// the operator's audit found `/v1/dossiers/ID/Tremblay` logged whole, and an attacker test
    /// `/web/Jean%20Dupont%201985-07-07`.
    static func loggable(path: String, words: Set<String> = []) -> String {
        let segments = path.prefix(maxPath).split(separator: "/", omittingEmptySubsequences: false).map { segment -> Substring in
            if segment.isEmpty || words.contains(String(segment)) { return segment }
            if DossierID(validating: segment) != nil { return "{id}" }
            let bytes = segment.utf8
            let plain = bytes.count <= 40 && bytes.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2D || b == 0x5F
            }
            guard plain else { return "…" }
            // A scanner's usual file is kept whole; any other name that starts with a dot or
            // ends as such a file keeps only that: `/.Dupuis` and `/Dupuis.php` put a surname
            // in the log (a controls audit).
            let lower = segment.lowercased()
            if scannedNames.contains(lower) { return segment }
            if let ending = scannedEndings.first(where: { lower.hasSuffix($0) && lower.count > $0.count }) { return Substring("…" + ending) }
            return segment.hasPrefix(".") ? ".…" : "…"
        }
        return segments.joined(separator: "/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The source here is still the peer's: the forwarding middleware runs inside this one.
        let id = GuichetRequestID.resolve(peer: context.source, forwarded: request.headers[GuichetRequestID.header], proxies: proxies)
        let start = ContinuousClock.now
        return try await RequestLog.$id.withValue(id) {
            do {
                var response = try await next(request, context)
                response.headers[GuichetRequestID.header] = id
                log(request, context, status: response.status.code, since: start)
                return response
            } catch {
                // Only what the problem middleware does not turn into a response reaches here.
                log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
                throw error
            }
        }
    }

    func log(_ request: Request, _ context: Context, status: Int, since start: ContinuousClock.Instant) {
        guard let logger else { return }
        let elapsed = ContinuousClock.now - start
        let ms = (Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15).rounded(toPlaces: 1)
        var metadata: Logger.Metadata = [
            "listener": .string(listener), "method": .string(request.method.rawValue),
            "status": .stringConvertible(status), "ms": .stringConvertible(ms),
        ]
        if let route = context.endpointPath, route != "NotFound" {
            metadata["route"] = .string(route)
        } else {
            // No route matched: the path (never the query), shortened, each segment that is not
            // a route's word nor a scanner's file replaced; the redaction layer still applies.
            metadata["path"] = .string(Self.loggable(path: request.uri.path, words: words.all))
        }
        logger.info("request", metadata: metadata)
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = (0..<places).reduce(1.0) { p, _ in p * 10 }
        return (self * scale).rounded() / scale
    }
}
