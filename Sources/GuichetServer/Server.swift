public import GuichetCore
public import GuichetAuth
public import GuichetGate
import GuichetStore
public import Hummingbird
import Foundation
import Synchronization
import HTTPTypes
public import Logging
public import GuichetOIDC

/// The HTTP side: a public listener (citizens, agents, partners) and a separate admin
/// listener (accounts, versions, restore), each with its own router. No admin path exists
/// on the public router, so the public listener answers 404 to all of them.
public final class GuichetServer: Sendable {
    public let gate: Gate
    public let auth: Authenticator
    /// The database, on whichever back-end (``ServerStorage``).
    public let store: any ServerStorage
    let logger: Logger
    /// Served at `/.well-known/security.txt` when configured.
    public let securityTxt: SecurityTxt?
    /// Request counters for `GET /metrics`.
    let metrics = HTTPMetrics()
    /// How much work one session or account may have in flight (issue #22).
    public let limits: RequestLimits
    /// Requests in flight per session and per account, over both listeners.
    let inFlight = InFlightCounter()
    /// Citizens' heavy requests, ``RequestLimits/citizenHeavyAtOnce`` at a time.
    let citizenHeavy: WorkQueue
    /// Requests that check a password, ``RequestLimits/passwordChecksAtOnce`` at a time, by address in turn.
    let passwordChecks: WorkQueue

    /// The reverse proxies whose forwarding headers are believed (none by default).
    public let trustedProxies: TrustedProxies

    /// One line per request answered (``AccessLogMiddleware``); nil writes none.
    let accessLog: Logger?

    /// Wakes the notice sender when a transition has put a notice in the outbox.
    let noticeNudge = Nudge()
    /// Claim codes just issued on a file's page, until that page shows them once.
    let claimCodeFlash = ClaimCodeFlash()
    /// Searches of the staff home, sealed into the address their form redirects to.
    let searchSeal = SearchSeal()
    /// The last answer of `GET /v1/statistics`, served for a minute.
    let statisticsCache = StatisticsCache()
    /// The OpenAPI documents, with this profile's words.
    let openAPI = OpenAPIBytes()
    /// Federated sign-in (OpenID Connect providers of `guichet.yaml`); nil: the /oidc routes refuse every provider name (403).
    public let federation: Federation?
    /// Who signs the ledger's checkpoints among several servers on one database; nil: this
    /// server alone does.
    public let checkpointSigning: (any CheckpointSigning)?
    /// Where the SIEM exports keep their cursors when several servers share the database;
    /// nil: in the data folder (one server).
    public let siemCursors: (any SIEMCursorStorage)?
    /// How often the running server signs a ledger checkpoint (when the ledger grew); the
    /// readiness check allows three intervals.
    public let checkpointInterval: Duration

    /// - Parameter accessLog: where the access log goes (`guichet serve` gives one; tests of
    ///   other behaviour give none, so that their output stays quiet).
    public init(gate: Gate, auth: Authenticator, store: any ServerStorage, securityTxt: SecurityTxt? = nil, limits: RequestLimits = .standard,
                trustedProxies: TrustedProxies = .none, logger: Logger = Logger(label: "guichet.http"), accessLog: Logger? = nil,
                federation: Federation? = nil, checkpointSigning: (any CheckpointSigning)? = nil, siemCursors: (any SIEMCursorStorage)? = nil,
                checkpointInterval: Duration = .seconds(60)) {
        self.federation = federation; self.checkpointSigning = checkpointSigning; self.siemCursors = siemCursors
        self.checkpointInterval = checkpointInterval
        self.gate = gate; self.auth = auth; self.store = store; self.securityTxt = securityTxt; self.logger = logger
        self.limits = limits; self.trustedProxies = trustedProxies; self.accessLog = accessLog
        self.citizenHeavy = WorkQueue(width: limits.citizenHeavyAtOnce)
        self.passwordChecks = WorkQueue(width: limits.passwordChecksAtOnce)
    }

    public var profile: Profile { gate.profile }

    static let purposeHeader = HTTPField.Name("Guichet-Purpose")!
    static let justificationHeader = HTTPField.Name("Guichet-Justification")!

    /// The verified principal of the request's bearer token or session cookie, if its role kind
    /// fits the listener. The request then counts against its account's limit of requests in
    /// flight (``RequestLimits/perAccount``) until it ends.
    /// - Throws: ``GuichetError/unauthenticated``; ``TooManyInFlight`` over the account's limit.
    func principal(_ request: Request, admin: Bool) async throws -> Principal {
        try await principal(token: try credentials(request, admin: admin), admin: admin)
    }

    /// The verified principal of a session token already checked against forgery (a page's
    /// cookie and form field), as ``principal(_:admin:)``.
    func principal(token: String, admin: Bool) async throws -> Principal {
        let principal = try await auth.authenticate(token: token)
        guard principal.kind.usesAdminListener == admin else { throw GuichetError.unauthenticated }
        try RequestSlots.current?.take("account:" + principal.account.rawValue, scope: "account", limit: limits.perAccount)
        return principal
    }

    /// The session token: from the Authorization header (API clients), else from the
    /// listener's cookie (browsers), checked against cross-site request forgery.
    func credentials(_ request: Request, admin: Bool) throws -> String {
        if let token = bearer(request) { return token }
        if let token = SessionCookie.read(request, admin: admin) {
            try SessionCookie.check(request, token: token)
            return token
        }
        throw GuichetError.unauthenticated
    }

    /// An administrator's principal on the admin listener; a security officer is refused: the
    /// two roles are kept apart (accounts on one side, alerts and breach response on the other).
    func administrator(_ request: Request) async throws -> Principal {
        let p = try await principal(request, admin: true)
        guard p.kind == .admin else { throw GuichetError.forbidden("this needs an administrator account") }
        return p
    }

    func gateRequest(_ request: Request, _ context: GuichetContext, admin: Bool = false) async throws -> GateRequest {
        let p = try await principal(request, admin: admin)
        var g = GateRequest(principal: p, requestID: Self.requestID(), source: context.source, purpose: request.headers[Self.purposeHeader])
        g.justification = request.headers[Self.justificationHeader]
        return g
    }

    /// The id of the request being served (``RequestLog/id``, the one in its log lines and its
    /// `X-Request-Id` header), so that its ledger entries carry the same; a new one outside a request.
    static func requestID() -> String { RequestLog.id ?? GuichetRequestID.make() }

    func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst(7))
    }

    func signIn(_ request: Request, _ context: GuichetContext, admin: Bool) async throws -> Response {
        var body = try await JSONBody.read(request)
        let username = try body.string("username"), password = try body.string("password")
        try body.finish()
        let session = try await auth.signIn(username: username, password: password, source: context.source, adminListener: admin)
        guard session.principal.kind.usesAdminListener == admin else {
            try await auth.signOut(token: session.token)
            throw GuichetError.unauthenticated
        }
        let p = session.principal
        var response = Reply.json(.object([
            "token": .string(session.token), "expiresAt": Wire.timestamp(session.expiresAt),
            "csrfToken": .string(SessionCookie.csrf(for: session.token)),
            "account": .object(["id": .string(p.account.rawValue), "role": .string(p.role),
                                "organisation": p.organisation.map { .string($0.rawValue) } ?? .null,
                                "person": p.person.map { .string($0.rawValue) } ?? .null]),
        ]), status: .created)
        let maxAge = max(0, Int(session.expiresAt.timeIntervalSinceNow.rounded(.down)))
        response.headers[.setCookie] = SessionCookie.set(session.token, admin: admin, maxAge: maxAge)
        return response
    }

    func signOut(_ request: Request, admin: Bool) async throws -> Response {
        _ = try await principal(request, admin: admin)
        try await auth.signOut(token: try credentials(request, admin: admin))
        var response = Reply.empty()
        response.headers[.setCookie] = SessionCookie.clear(admin: admin)
        return response
    }

    /// Builds the public router; the recorder lists its routes.
    public func publicRouter() -> (Router<GuichetContext>, RouteRecorder) {
        let router = Router(context: GuichetContext.self, options: .autoGenerateHeadEndpoints)
        let words = RouteWords()
        router.add(middleware: AccessLogMiddleware(listener: "public", proxies: trustedProxies, logger: accessLog, words: words))
        router.add(middleware: ForwardedMiddleware(proxies: trustedProxies, logger: logger))
        router.add(middleware: MetricsMiddleware(listener: "public", metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: WebNotFoundMiddleware { [self] in try webNotFoundPage($0, admin: false) })
        router.add(middleware: MethodNotAllowedMiddleware(routes: words, formAddressPage: { [self] in try webFormAddressPage($0, admin: false) }))
        router.add(middleware: InFlightLimitMiddleware(counter: inFlight, limits: limits, admin: false, passwordChecks: passwordChecks))
        router.add(middleware: PurposeHeaderMiddleware(purposes: profile.purposes))
        let routes = RouteRecorder(router, words: words)
        addPublicRoutes(routes)
        return (router, routes)
    }

    /// Builds the admin router; the recorder lists its routes.
    /// - Parameter hostNames: the names it answers to besides localhost and the loopback
    ///   addresses (the listener's host, `adminHostNames`); any other Host gets 421 before any
    ///   route runs (``AdminHostMiddleware``).
    public func adminRouter(hostNames: [String] = []) -> (Router<GuichetContext>, RouteRecorder) {
        let router = Router(context: GuichetContext.self, options: .autoGenerateHeadEndpoints)
        let words = RouteWords()
        router.add(middleware: AccessLogMiddleware(listener: "admin", proxies: trustedProxies, logger: accessLog, words: words))
        router.add(middleware: AdminHostMiddleware(names: hostNames))
        router.add(middleware: ForwardedMiddleware(proxies: trustedProxies))
        router.add(middleware: MetricsMiddleware(listener: "admin", metrics: metrics))
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: WebNotFoundMiddleware { [self] in try webNotFoundPage($0, admin: true) })
        router.add(middleware: MethodNotAllowedMiddleware(routes: words, formAddressPage: { [self] in try webFormAddressPage($0, admin: true) }))
        router.add(middleware: InFlightLimitMiddleware(counter: inFlight, limits: limits, admin: true, passwordChecks: passwordChecks))
        router.add(middleware: PurposeHeaderMiddleware(purposes: profile.purposes))
        let routes = RouteRecorder(router, words: words)
        addAdminRoutes(routes)
        return (router, routes)
    }
}

/// The published statistics, kept until this server's gate changes a dossier or a person
/// (``Gate/changes``), and at most ``lifetime`` (for changes made by another process: an
/// import, another server): a burst of anonymous requests, which change nothing, costs one
/// count (an attacker test: each took a third of a second at 15,000 dossiers, unlimited).
final class StatisticsCache: Sendable {
    static let lifetime: TimeInterval = 60
    private let kept = Mutex<(at: Date, changes: Int, answer: JSON)?>(nil)

    /// The answer kept, if computed after the last change and less than ``lifetime`` before `now`.
    func fresh(at now: Date, changes: Int) -> JSON? {
        kept.withLock { k in
            k.flatMap { $0.changes == changes && now.timeIntervalSince($0.at) < Self.lifetime && now >= $0.at ? $0.answer : nil }
        }
    }

    func keep(_ answer: JSON, at now: Date, changes: Int) { kept.withLock { $0 = (now, changes, answer) } }
}
