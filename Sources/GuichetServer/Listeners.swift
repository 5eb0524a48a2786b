import Logging
import Hummingbird
import GuichetCore
import ServiceLifecycle
import UnixSignals
import NIOCore
import NIOPosix
import GuichetGate
import GuichetAuth
import GuichetLedger
import GuichetWatch
import Foundation
import Synchronization

/// Where the two listeners bind.
public struct ListenerConfiguration: Sendable, Equatable {
    public var publicHost: String
    public var publicPort: Int
    public var adminHost: String
    public var adminPort: Int
    /// Names the admin listener answers to besides localhost, the loopback addresses and
    /// `adminHost` (`adminHostNames` in guichet.yaml): the name an SSH tunnel or a VPN gives it.
    /// Any other Host is refused with 421 (``AdminHostMiddleware``, DNS rebinding).
    public var adminHostNames: [String]
    /// Timeouts and the per-address cap of both listeners' connections.
    public var connections: ConnectionLimits

    public init(publicHost: String = "127.0.0.1", publicPort: Int = 8080, adminHost: String = "127.0.0.1", adminPort: Int = 8081,
                adminHostNames: [String] = [], connections: ConnectionLimits = .standard) {
        self.publicHost = publicHost; self.publicPort = publicPort; self.adminHost = adminHost; self.adminPort = adminPort
        self.adminHostNames = adminHostNames; self.connections = connections
    }

    /// Whether a host name or address is the loopback interface: `localhost`, an address of
    /// 127.0.0.0/8 or ::1 (in brackets or not). A name that merely starts with `127.`
    /// (`127.0.0.1.evil.example`) is not: it resolves wherever its owner wants.
    public static func isLoopback(_ host: String) -> Bool {
        var address = host.lowercased()
        if address == "localhost" { return true }
        if address.hasPrefix("["), address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        guard let bytes = SourceAddress.bytes(address) else { return false }
        return bytes.count == 4 ? bytes[0] == 127 : bytes == Array(repeating: 0, count: 15) + [1]
    }

    /// Refuses an insecure configuration (C16): the admin listener off loopback (threat R1:
    /// an admin panel on the public web), or the public listener off loopback without TLS in
    /// front of it (Guichet speaks plain HTTP: a TLS-terminating proxy must stand in front).
    /// Each has an explicit override, which the caller must log loudly.
    public func check(allowPublicAdmin: Bool, behindTLSProxy: Bool = false) throws {
        if !Self.isLoopback(adminHost) && !allowPublicAdmin {
            throw ConfigurationError("the admin listener must stay on loopback (admin host is '\(adminHost)'); put a VPN or SSH tunnel in front of it, or pass --allow-public-admin to override")
        }
        if !Self.isLoopback(publicHost) && !behindTLSProxy {
            throw ConfigurationError("the public listener on '\(publicHost)' would serve personal data without TLS; bind it to 127.0.0.1 behind a TLS-terminating reverse proxy, and pass --behind-tls-proxy once that proxy is in place")
        }
        if publicPort == adminPort && publicPort != 0 && publicHost == adminHost {
            throw ConfigurationError("the public and admin listeners need different ports (both are \(publicPort))")
        }
        for port in [publicPort, adminPort] where !(0...65535).contains(port) {
            throw ConfigurationError("port \(port) is out of range (0-65535)")
        }
    }
}

/// A configuration that Guichet refuses to start with; the message says what to change.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}

/// Signs a ledger checkpoint on a schedule, whenever the ledger grew, and a last one at shutdown.
/// Among several servers on one database, only the elected one signs (``CheckpointSigning``),
/// whenever the stored ledger grew, whichever server appended.
struct CheckpointService: Service {
    let gate: Gate
    let store: any ServerStorage
    let every: Duration
    let logger: Logger
    var signing: (any CheckpointSigning)? = nil

    func run() async throws {
        var last: Int64 = -1
        func checkpoint() async {
            do {
                let size = try await store.ledgerSize()
                if size != last && signing?.isLeading != false { try await gate.checkpoint(at: Date()); last = size }
                try await gate.watch?.flush(at: Date())
            } catch {
                logger.error("a ledger checkpoint could not be signed", metadata: ["error": .string(String(describing: type(of: error)))])
            }
        }
        await checkpoint()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
            await checkpoint()
        }
    }
}

/// Runs a SIEM export on a schedule, and a last time at shutdown. A failed delivery is
/// logged (the destination, never a record) and tried again at the next round from the same cursor.
struct SIEMExportService: Service {
    let exporter: SIEMExporter
    let every: Duration
    let logger: Logger

    func run() async throws {
        func export() async {
            do { try await exporter.exportPending() } catch {
                logger.warning("SIEM export failed; retried from the same cursor", metadata: ["error": .string("\(error)")])
            }
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await export()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
        }
        await export()
    }
}

/// Wakes a waiting task now rather than at its next round; wakes sent while nobody waits
/// are kept as one. One task waits at a time (the notice sender).
///
/// It once waited on an `AsyncStream` in a child task that was cancelled when the timeout
/// won; cancelling an iteration finishes the stream, so every later wait returned at once and
/// the notice sender claimed due notices in a write transaction in a loop, about half a core
/// of an idle server.
final class Nudge: Sendable {
    private struct State {
        /// A wake came while nobody waited: the next wait returns at once.
        var pending = false
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        var lastID: UInt64 = 0
        /// Waits up to this id have ended (timed out or cancelled): a waiter that registers
        /// after its own end returns at once.
        var endedThrough: UInt64 = 0
    }
    private let state = Mutex(State())

    init() {}

    func wake() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else { s.pending = true; return nil }
            s.waiter = nil
            return w.continuation
        }
        waiter?.resume()
    }

    /// Returns at the next wake (at once when one came since the last wait), after
    /// `timeout`, or when the calling task is cancelled.
    func wait(timeout: Duration) async {
        let id = state.withLock { s -> UInt64? in
            if s.pending { s.pending = false; return nil }
            s.lastID += 1
            return s.lastID
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = self.state.withLock { s -> Bool in
                        if s.pending || s.endedThrough >= id { s.pending = false; return true }
                        s.waiter = (id, c)
                        return false
                    }
                    if now { c.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.end(id)
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Ends wait `id`: resumes its waiter if it is still waiting.
    private func end(_ id: UInt64) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.endedThrough = max(s.endedThrough, id)
            guard let w = s.waiter, w.id == id else { return nil }
            s.waiter = nil
            return w.continuation
        }
        waiter?.resume()
    }
}

/// Sends the notices transitions owe (``NoticeOutbox``): at once after a transition, and every
/// few seconds for those whose retry is due; a last round at shutdown.
struct NoticeService: Service {
    /// One round: every notice due now.
    let send: @Sendable () async throws -> Void
    let nudge: Nudge
    let every: Duration
    let logger: Logger

    init(outbox: NoticeOutbox, nudge: Nudge, every: Duration, logger: Logger) {
        self.init(send: { _ = try await outbox.sendDue() }, nudge: nudge, every: every, logger: logger)
    }

    init(send: @escaping @Sendable () async throws -> Void, nudge: Nudge, every: Duration, logger: Logger) {
        self.send = send; self.nudge = nudge; self.every = every; self.logger = logger
    }

    func run() async throws {
        func round() async {
            do { try await send() } catch {
                logger.error("the notice outbox could not be read", metadata: ["error": .string(String(describing: type(of: error)))])
            }
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await round()
            await cancelWhenGracefulShutdown { await nudge.wait(timeout: every) }
        }
        await round()
    }
}

extension GuichetServer {
    /// `GET /readyz`: 200 with every check when the server can do its work, else 503 naming
    /// the checks that failed (a checkpoint may lag three signing intervals, and 30 s).
    func readiness() async throws -> Response {
        // Three intervals, and at least 30 s: a takeover by another server (PostgreSQL) takes a few seconds.
        let r = await gate.readiness(checkpointAge: max(30, 3 * Double(checkpointInterval.components.seconds)))
        let checks = JSON.object(Dictionary(uniqueKeysWithValues: r.checks.map { ($0.key, $0.value.map(JSON.string) ?? .string("ok")) }))
        return Reply.json(.object(["status": .string(r.ready ? "ready" : "not-ready"), "checks": checks]),
                          status: r.ready ? .ok : .serviceUnavailable)
    }

    /// How long a stop (SIGTERM, SIGINT) waits for requests in progress, then for the
    /// cancelled ones: a server stops within their sum, 30 s (Kubernetes' default grace).
    public static let shutdownGrace: Duration = .seconds(22)
    public static let shutdownCancellation: Duration = .seconds(6)

    /// Serves both listeners until SIGINT or SIGTERM.
    /// - Parameter onReady: called once, when both listeners accept connections, with the
    ///   bound public and admin ports.
    /// - Throws: ``ConfigurationError`` when a listener cannot start (port taken, say);
    ///   ``PageError`` when the citizens' page or one of its texts is missing (before listening).
    /// - Parameter exporters: SIEM exports run beside the listeners (every few seconds, and a
    ///   last time at shutdown).
    public func run(_ config: ListenerConfiguration, exporters: [SIEMExporter] = [],
                    onReady: @escaping @Sendable (_ publicPort: Int, _ adminPort: Int) -> Void = { _, _ in }) async throws {
        try Self.checkPages()
        // A port another program holds is said before anything starts, naming its listener.
        try await Self.checkPortFree(config.publicHost, config.publicPort, listener: "public", flag: "--port")
        try await Self.checkPortFree(config.adminHost, config.adminPort, listener: "admin", flag: "--admin-port")
        // Every connection is a file: the usual soft limit (1024) is far below what the listeners may hold.
        if let files = OpenFileLimit.raise() { Logger(label: "guichet").info("open files limit", metadata: ["limit": "\(files)"]) }
        let ports = Mutex<[String: Int]>([:])
        let ready: @Sendable (String, Int) -> Void = { name, port in
            let both = ports.withLock { p -> (Int, Int)? in
                p[name] = port
                guard let a = p["public"], let b = p["admin"] else { return nil }
                return (a, b)
            }
            if let both { onReady(both.0, both.1) }
        }
        var quiet = Logger(label: "guichet.http")
        quiet.logLevel = .warning
        let publicApp = Application(router: publicRouter().0,
                                    server: GuichetServer.http1(config.connections, trustedProxies: trustedProxies),
                                    configuration: .init(address: .hostname(config.publicHost, port: config.publicPort), serverName: "Guichet"),
                                    onServerRunning: { ready("public", $0.localAddress?.port ?? config.publicPort) }, logger: quiet)
        let adminApp = Application(router: adminRouter(hostNames: [config.adminHost] + config.adminHostNames).0,
                                   server: GuichetServer.http1(config.connections, trustedProxies: trustedProxies),
                                   configuration: .init(address: .hostname(config.adminHost, port: config.adminPort), serverName: "Guichet"),
                                   onServerRunning: { ready("admin", $0.localAddress?.port ?? config.adminPort) }, logger: quiet)
        let checkpoints = CheckpointService(gate: gate, store: store, every: checkpointInterval, logger: logger, signing: checkpointSigning)
        var exports: [any Service] = exporters.map { SIEMExportService(exporter: $0, every: .seconds(5), logger: logger) }
        if let mailer = auth.mailer {
            exports.append(NoticeService(outbox: NoticeOutbox(gate: gate, mailer: mailer, logger: logger), nudge: noticeNudge, every: .seconds(5), logger: logger))
        }
        let retention = RetentionService(gate: gate, first: .seconds(300), every: retentionInterval, logger: logger, signing: checkpointSigning)
        // Servers sharing a database (an election of the signer) copy each other's erasures.
        if checkpointSigning != nil { exports.append(ErasureCopyService(gate: gate, every: .seconds(30), logger: logger)) }
        var configuration = ServiceGroupConfiguration(services: [publicApp, adminApp, checkpoints, retention] + exports,
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A stop ends: requests in progress get ``shutdownGrace`` to finish, then are cancelled,
        // and a process whose work does not end on cancellation stops at the end of
        // ``shutdownCancellation`` all the same (an operator's audit: after PostgreSQL went away
        // a request never ended, and the server it held ignored SIGTERM for minutes, its
        // checkpoint signing with it).
        configuration.maximumGracefulShutdownDuration = Self.shutdownGrace
        configuration.maximumCancellationDuration = Self.shutdownCancellation
        let group = ServiceGroup(configuration: configuration)
        do { try await group.run() } catch let error as IOError {
            // A port taken between the check above and the start.
            throw ConfigurationError("a listener could not start on \(config.publicHost):\(config.publicPort) or \(config.adminHost):\(config.adminPort) (\(error.description)); is another server using the port? Choose others with --port and --admin-port")
        }
    }

    /// Refuses a listener whose port another program holds (a new user's usual first problem:
    /// something else on 8080), naming the listener and the flag that chooses another port,
    /// before any service starts. Port 0 (any free port) is not checked; any other error is left
    /// to the listener's own start.
    /// - Throws: ``ConfigurationError``.
    public static func checkPortFree(_ host: String, _ port: Int, listener: String, flag: String) async throws {
        guard port != 0 else { return }
        let bound: any Channel
        do {
            bound = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ConfigurationError("the \(listener) listener cannot start: \(host):\(port) is already in use (another server, or another guichet?); "
                                     + "choose another port with \(flag)")
        } catch {
            return
        }
        try? await bound.close()
    }
}
