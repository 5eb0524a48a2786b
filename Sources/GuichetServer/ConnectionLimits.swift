import Foundation
public import HummingbirdCore
import GuichetAuth
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How long a connection may stay open without doing its part, and how many one client may
/// hold on one listener. Without them, sockets that send half a request head and then nothing
/// (20,000 of them, from one machine) kept both listeners silent until the process ran out of
/// file descriptors: a connection cost the attacker nothing and was kept forever.
public struct ConnectionLimits: Sendable, Equatable {
    /// How long a connection may go without an HTTP part read or a response written (Hummingbird's
    /// idle timeout): it bounds a request body that stalls halfway.
    public var idleTimeout: Duration
    /// How long a client has to send a whole request head, from the connection's opening or
    /// from the end of the previous response. An idle timeout alone does not stop a client
    /// that dribbles one byte of its headers every few seconds; this does, and it also closes
    /// an idle keep-alive connection (a browser opens a new one when it needs to).
    public var headTimeout: Duration
    /// The connections one client address may hold open on one listener (an IPv6 /64 counts as
    /// one address, ``SourceKey``). A trusted proxy (``TrustedProxies``) is not capped: every
    /// client behind it shares its address.
    public var perAddress: Int
    /// The connections one listener keeps waiting for a request head (opened, or idle between
    /// requests), from all addresses together: past it, the one that has waited longest is
    /// closed. A client holding hundreds of addresses (a slow-headers attack from 82 of them,
    /// each under the per-address cap, in a hostile citizen's audit) otherwise filled the
    /// listener, and honest visitors could not connect for 30 s; a visitor sends its head
    /// within milliseconds, so it is never the one that waited longest.
    public var waitingForHead: Int

    /// Limits a browser or a slow mobile client never meets: a request head comes in one or
    /// two round trips, and a page opens at most six connections to one host.
    public static let standard = ConnectionLimits(idleTimeout: .seconds(60), headTimeout: .seconds(20), perAddress: 256)

    /// - Precondition: both times are positive, `perAddress` and `waitingForHead` at least 1.
    public init(idleTimeout: Duration, headTimeout: Duration, perAddress: Int, waitingForHead: Int = 2_048) {
        precondition(idleTimeout > .zero && headTimeout > .zero && perAddress >= 1 && waitingForHead >= 1, "connection limits must be positive")
        self.idleTimeout = idleTimeout; self.headTimeout = headTimeout; self.perAddress = perAddress
        self.waitingForHead = waitingForHead
    }
}

/// The connections of one listener waiting for a request head, oldest first: past the limit,
/// the oldest is closed (``ConnectionLimits/waitingForHead``). The entries of connections that
/// stopped waiting are dropped, so the list stays within twice those waiting and 1,024.
final class HeadWaiters: Sendable {
    private struct State {
        var next: UInt64 = 0
        /// In the order they began to wait, with how to close each; entries that stopped
        /// waiting are skipped, and dropped once at the front.
        var order: [(id: UInt64, close: @Sendable () -> Void)] = []
        var start = 0
        var waiting: Set<UInt64> = []

        /// Drops the front's entries that no longer wait, and compacts the list once those that
        /// stopped waiting behind an old one outnumber the waiting ones (amortised: a pass over
        /// n entries comes after n / 2 requests at least).
        mutating func trim() {
            while start < order.count, !waiting.contains(order[start].id) { start += 1 }
            if start == order.count { order.removeAll(keepingCapacity: true); start = 0; return }
            if order.count - start > 2 * waiting.count + 1_024 {
                let kept = waiting
                order = order[start...].filter { kept.contains($0.id) }
                start = 0
            } else if start > 1_024 && start * 2 > order.count {
                order.removeFirst(start); start = 0
            }
        }
    }
    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts a connection as waiting; closes the longest-waiting ones past the limit.
    /// - Returns: the ticket to give back to ``done(_:)``.
    func wait(close: @escaping @Sendable () -> Void) -> UInt64 {
        let (ticket, evicted) = state.withLock { s -> (UInt64, [@Sendable () -> Void]) in
            s.next += 1
            s.order.append((s.next, close))
            s.waiting.insert(s.next)
            var evicted: [@Sendable () -> Void] = []
            while s.waiting.count > limit, s.start < s.order.count {
                let oldest = s.order[s.start]
                s.start += 1
                if s.waiting.remove(oldest.id) != nil { evicted.append(oldest.close) }
            }
            s.trim()
            return (s.next, evicted)
        }
        for close in evicted { close() }
        return ticket
    }

    func done(_ ticket: UInt64) {
        state.withLock { s in
            s.waiting.remove(ticket)
            s.trim()
        }
    }

    var count: Int { state.withLock { $0.waiting.count } }
    /// Entries held, waiting or not yet dropped (for tests).
    var held: Int { state.withLock { $0.order.count - $0.start } }
}

/// Closes a connection at once, before reading anything from it, when its client address
/// already holds `limit` connections on this listener (counted in an ``InFlightCounter`` per
/// listener, keyed by ``SourceKey``). A trusted proxy's
/// connections are neither counted nor refused.
final class ConnectionCapHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let open: InFlightCounter
    private let limit: Int
    private let proxies: TrustedProxies
    /// The key this connection is counted under, once counted.
    private var counted: String?
    private var seen = false

    init(open: InFlightCounter, limit: Int, proxies: TrustedProxies) { self.open = open; self.limit = limit; self.proxies = proxies }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { _ = admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        // A refused connection is already closed: the handlers after this one never see it open.
        if admit(context) { context.fireChannelActive() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    /// Counts the connection, or closes it when its address holds too many.
    /// - Returns: whether the connection stays open.
    private func admit(_ context: ChannelHandlerContext) -> Bool {
        guard !seen else { return true }
        seen = true
        // A socket without an IP peer (a Unix socket) is not a client address to count.
        guard let peer = context.channel.remoteAddress?.ipAddress, !proxies.trusts(peer) else { return true }
        let key = SourceKey.of(peer)
        guard open.acquire(key, limit: limit) else {
            context.close(promise: nil)
            return false
        }
        counted = key
        return true
    }

    private func release() {
        if let key = counted { open.release(key) }
        counted = nil
    }
}

/// Closes a connection whose request head is not complete within ``ConnectionLimits/headTimeout``
/// of the connection's opening or of the end of the previous response (a slow-headers attack:
/// one byte every few seconds keeps an idle timeout from firing). A request being answered is
/// never cut: the clock runs only while the server waits for a head.
final class RequestHeadDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// Request heads read whose response has not ended (more than one when pipelined).
    private var unanswered = 0
    /// The listener's connections waiting for a head, and this one's ticket while it waits.
    private let waiters: HeadWaiters?
    private var ticket: UInt64?

    init(timeout: Duration, waiters: HeadWaiters? = nil) { self.timeout = TimeAmount(timeout); self.waiters = waiters }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            unanswered += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered = max(0, unanswered - 1)
            if unanswered == 0 { arm(context) }
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard deadline == nil, unanswered == 0 else { return }
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        if let waiters { ticket = waiters.wait { channel.close(promise: nil) } }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
        if let ticket { waiters?.done(ticket) }
        ticket = nil
    }
}

extension GuichetServer {
    /// The HTTP/1.1 server of one listener with these connection limits: connections past the
    /// per-address cap closed unread, a request head due within the head timeout, idle
    /// connections closed, malformed requests answered with a problem document. Call it once
    /// per listener: each call counts its own connections.
    /// - Parameter trustedProxies: peers whose connections are not capped per address.
    public static func http1(_ limits: ConnectionLimits, trustedProxies: TrustedProxies = .none) -> HTTPServerBuilder {
        let open = InFlightCounter()
        let waiters = HeadWaiters(limit: limits.waitingForHead)
        let head = limits.headTimeout
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(maxHeaderFieldSize: MalformedRequestHandler.headerLimit,
                                                                      maxHeaderListSize: MalformedRequestHandler.headerLimit)
        return .http1(configuration: .init(
            additionalChannelHandlers: [KeepAliveFinder(), ConnectionCapHandler(open: open, limit: limits.perAddress, proxies: trustedProxies), RequestHeadDeadlineHandler(timeout: head, waiters: waiters),
                                        MalformedRequestHandler()],
            idleTimeout: TimeAmount(limits.idleTimeout), httpDecoderConfiguration: decoder))
    }
}

/// The process's limit on open files, which bounds the connections both listeners can hold.
public enum OpenFileLimit {
    /// Raises the soft limit on open files (`RLIMIT_NOFILE`) to the hard limit: the usual soft
    /// default (1024) is reached by a few hundred clients, the hard one is what the
    /// administrator allowed. A limit that cannot be raised is left as it is.
    /// - Returns: the soft limit in force afterwards, or nil when it cannot be read.
    @discardableResult
    public static func raise() -> UInt64? {
        #if canImport(Glibc)
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            // Linux refuses an infinite limit on files (past fs.nr_open): take 2^20 then (rlim_t.max is RLIM_INFINITY).
            raised.rlim_cur = limit.rlim_max == rlim_t.max ? 1 << 20 : limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return UInt64(limit.rlim_cur)
        #else
        return nil
        #endif
    }
}
