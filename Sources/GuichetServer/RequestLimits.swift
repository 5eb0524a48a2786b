import Hummingbird
import Crypto
public import Foundation
import GuichetAuth
import Synchronization

/// How much work one client may have the server do at once (issue #22). Every request
/// carrying a session token counts against its session from the moment it arrives, and
/// against its account once the token is verified; one over a limit is refused at once with
/// 429 and `Retry-After`, before any work is done for it. A single self-registered account
/// therefore cannot keep more than ``perAccount`` requests busy, however many connections
/// or sessions it opens. See docs/OPERATIONS.md, "Concurrency limits".
public struct RequestLimits: Sendable, Equatable {
    /// Requests of one session in flight at once. Browsers and API clients of a person need
    /// a few at a time; a flood from one session needs many.
    public var perSession: Int
    /// Requests of one account in flight at once, over all its sessions.
    public var perAccount: Int
    /// Entries (each with its inclusion proof) in one page of a citizen's access history.
    public var historyPage: Int
    /// Seconds a refused client is told to wait (`Retry-After`).
    public var retryAfterSeconds: Int
    /// Citizens' heavy requests (an access history with its proofs, an export of one's data)
    /// running at once on the server, whatever the account; the others wait their turn, in
    /// order. A denial-of-service audit kept both cores busy with one citizen's histories, and
    /// four citizens made the others wait 3 s: the per-account limits bound one account's
    /// work, not that of accounts made ten an hour.
    public var citizenHeavyAtOnce: Int
    /// Requests without a session in flight at once from one client address (an IPv6 /64 as
    /// one): a citizens' audit slowed every user a hundredfold from one address with 128
    /// connections of plain GETs, which no limit counted.
    public var perSource: Int
    /// Requests that check a password (sign-in, sign-up, a claim, a reset, an activation) run
    /// this many at once on the server, served one client address at a time in turn: eight
    /// accounts signing in in a loop from one address made everyone's sign-in six times slower
    /// (a citizens' audit); now one address waits behind its own.
    public var passwordChecksAtOnce: Int

    /// - Precondition: every limit is at least 1.
    public init(perSession: Int = 4, perAccount: Int = 8, historyPage: Int = 500, retryAfterSeconds: Int = 1, citizenHeavyAtOnce: Int = 1,
                perSource: Int = 16, passwordChecksAtOnce: Int? = nil) {
        precondition(perSession >= 1 && perAccount >= 1 && historyPage >= 1 && retryAfterSeconds >= 1 && citizenHeavyAtOnce >= 1
                     && perSource >= 1 && (passwordChecksAtOnce ?? 1) >= 1, "request limits are at least 1")
        self.perSession = perSession; self.perAccount = perAccount; self.historyPage = historyPage; self.retryAfterSeconds = retryAfterSeconds
        self.citizenHeavyAtOnce = citizenHeavyAtOnce; self.perSource = perSource
        self.passwordChecksAtOnce = passwordChecksAtOnce ?? max(2, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The limits Guichet runs with unless told otherwise.
    public static let standard = RequestLimits()
}

/// A request refused because its session or account already has as many requests in flight
/// as allowed; becomes a 429 problem document with `Retry-After`.
struct TooManyInFlight: Error {
    /// "session" or "account": which limit was reached.
    let scope: String
    let retryAfterSeconds: Int
}

/// Counts requests in flight by key (a session's token digest, an account id).
final class InFlightCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Takes one slot of `key` if fewer than `limit` are taken.
    func acquire(_ key: String, limit: Int) -> Bool {
        counts.withLock { c in
            let n = c[key, default: 0]
            guard n < limit else { return false }
            c[key] = n + 1
            return true
        }
    }

    func release(_ key: String) {
        counts.withLock { c in
            let n = c[key, default: 0] - 1
            c[key] = n > 0 ? n : nil
        }
    }

    /// Keys with a request in flight (tests check that nothing leaks).
    var busyKeys: Int { counts.withLock { $0.count } }
}

/// The slots one request holds, released together when it ends. The middleware makes one
/// per request and hands it down as a task-local value, so that the account's slot can be
/// taken where the token is verified (``GuichetServer/principal(_:admin:)``) without a
/// second database read.
final class RequestSlots: Sendable {
    @TaskLocal static var current: RequestSlots?

    private let counter: InFlightCounter
    private let retryAfter: Int
    private let held = Mutex<Set<String>>([])

    init(_ counter: InFlightCounter, retryAfter: Int) { self.counter = counter; self.retryAfter = retryAfter }

    /// Takes a slot of `key` for the rest of the request; taking the same key twice is a no-op.
    /// - Throws: ``TooManyInFlight`` when `limit` requests of `key` are already in flight.
    func take(_ key: String, scope: String, limit: Int) throws(TooManyInFlight) {
        let taken = held.withLock { held -> Bool? in
            if held.contains(key) { return nil }
            guard counter.acquire(key, limit: limit) else { return false }
            held.insert(key)
            return true
        }
        if taken == false { throw TooManyInFlight(scope: scope, retryAfterSeconds: retryAfter) }
    }

    func releaseAll() {
        for key in held.withLock({ h in defer { h.removeAll() }; return h }) { counter.release(key) }
    }
}

/// Bounds the requests in flight per session (here, before any work) and per account (where
/// the token is verified); requests without a session token, per client address
/// (``RequestLimits/perSource``). Requests that check a password take turns by address
/// (``RequestLimits/passwordChecksAtOnce``).
struct InFlightLimitMiddleware: RouterMiddleware {
    typealias Context = GuichetContext
    let counter: InFlightCounter
    let limits: RequestLimits
    let admin: Bool
    let passwordChecks: WorkQueue

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = Self.token(request, admin: admin) else {
            guard let peer = context.source else { return try await next(request, context) }
            let source = SourceKey.of(peer)
            let slots = RequestSlots(counter, retryAfter: limits.retryAfterSeconds)
            defer { slots.releaseAll() }
            try slots.take("source:" + source, scope: "address", limit: limits.perSource)
            guard request.method == .post, Self.checksPassword(request.uri.path) else { return try await next(request, context) }
            try await passwordChecks.enter(source)
            do {
                let response = try await next(request, context)
                await passwordChecks.leave()
                return response
            } catch {
                await passwordChecks.leave()
                throw error
            }
        }
        let slots = RequestSlots(counter, retryAfter: limits.retryAfterSeconds)
        defer { slots.releaseAll() }
        // The digest, not the token, is the key: the table of counts holds no secret.
        let digest = SHA256.hash(data: Data(token.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        try slots.take("session:" + digest, scope: "session", limit: limits.perSession)
        return try await RequestSlots.$current.withValue(slots) { try await next(request, context) }
    }

    /// Routes whose POST hashes a password (scrypt): sign-in, sign-up, a claim, a reset, an
    /// activation, in the API and the pages.
    static func checksPassword(_ path: String) -> Bool {
        Problem.checksCredentials(path) || ["/v1/accounts", "/v1/accounts/claim", "/web/sign-in", "/web/register", "/web/claim",
                                            "/web/password-reset"].contains(path)
    }

    /// The session token the request carries (bearer, or the listener's cookie), unchecked.
    static func token(_ request: Request, admin: Bool) -> String? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") { return String(header.dropFirst(7)) }
        return SessionCookie.read(request, admin: admin)
    }
}

/// Runs at most `width` bodies at once (citizens' heavy requests:
/// ``RequestLimits/citizenHeavyAtOnce``); the others wait, served one account at a time in
/// turn, and in the order they came within an account. Ten accounts with a queue of requests
/// each make a citizen who asks once wait for one request of each, not for all of theirs. A
/// waiter cancelled (its client gone) leaves the queue.
actor WorkQueue {
    private let width: Int
    private var running = 0
    /// The waiters of each account, in the order they came.
    private var waiting: [String: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)]] = [:]
    /// Accounts with waiters, in the order they are served next.
    private var turns: [String] = []
    private var nextID: UInt64 = 0

    init(width: Int) { self.width = width }

    /// Runs `body` when a slot is free and it is `account`'s turn.
    func run<T: Sendable>(for account: String, _ body: @Sendable () async throws -> T) async throws -> T {
        try await enter(account)
        defer { leave() }
        return try await body()
    }

    func enter(_ account: String) async throws {
        if running < width { running += 1; return }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled { c.resume(throwing: CancellationError()); return }
                if waiting[account] == nil { turns.append(account) }
                waiting[account, default: []].append((id, c))
            }
        } onCancel: {
            Task { await self.cancel(id, of: account) }
        }
    }

    private func cancel(_ id: UInt64, of account: String) {
        guard var mine = waiting[account], let i = mine.firstIndex(where: { $0.id == id }) else { return }
        let gone = mine.remove(at: i)
        if mine.isEmpty { waiting[account] = nil; turns.removeAll { $0 == account } } else { waiting[account] = mine }
        gone.continuation.resume(throwing: CancellationError())
    }

    /// The slot passes to the first waiter of the account whose turn it is (which then goes
    /// to the back of the turns if it has more), or is freed.
    func leave() {
        guard !turns.isEmpty else { running -= 1; return }
        let account = turns.removeFirst()
        var mine = waiting[account] ?? []
        let next = mine.removeFirst()
        if mine.isEmpty { waiting[account] = nil } else { waiting[account] = mine; turns.append(account) }
        next.continuation.resume()
    }
}
