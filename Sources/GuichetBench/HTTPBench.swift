import Foundation
import GuichetCore
import GuichetStore
import GuichetVault
import GuichetAuth
import GuichetGate
import GuichetLedger
import GuichetMFA
import GuichetServer
import GuichetSynth
import Hummingbird
import ServiceLifecycle
import Logging
import NIOCore
import GRDB
import GuichetPostgres

/// HTTP read of one dossier over loopback with wrk: the full gate route
/// (`GET /v1/dossiers/:id`: session, second factor, policy, durable ledger append, decryption)
/// against an insecure baseline route of the same server (`GET /insecure/v1/dossiers/:id`:
/// the same session check, then the same store reads of a plaintext copy of the same
/// registry, every field returned, no policy, no encryption, no ledger). The gate is measured
/// twice: without the watch, and with it as deployed (`gate+watch`: every detector of the
/// profile's `watch:` section runs on every read and its state is persisted; only its
/// responses are all set to `alert` and its ceilings out of reach, since one account reading thousands of files a second is
/// exactly what it would otherwise throttle and suspend).
struct HTTPBench {
    let profile: Profile
    let keyFile: String
    let work: URL
    let plan: Plan
    /// A PostgreSQL server the benchmark may fill (`--postgres`): the gate is then measured on
    /// a registry there too, holding the same dossiers, in the same run (issue 19).
    var postgres: PostgresAddress? = nil

    struct Point: Codable {
        let route: String
        let connections: Int
        let requestsPerSecond: Double
        let p50Millis: Double
        let p99Millis: Double
        let requests: Int
        /// Answers other than 2xx/3xx.
        let non2xx: Int
        /// Connect, read, write errors and time-outs (10 s).
        let socketErrors: Int
        /// The server process's allocated memory (RssAnon, MiB) sampled every half second
        /// during the run: at its start, its peak and its end (nil where not measured).
        var memoryStartMiB: Double? = nil
        var memoryPeakMiB: Double? = nil
        var memoryEndMiB: Double? = nil
    }

    struct Results: Codable {
        let dossiers: Int
        let persons: Int
        let secondsPerRun: Int
        let points: [Point]
        /// Ledger entries appended by the gate runs (one per request).
        let ledgerEntries: Int64
        /// The gate on PostgreSQL, when a server was given.
        var postgres: PostgresResults? = nil
    }

    /// The gate (without the watch) on a registry on PostgreSQL holding the same dossiers as
    /// SQLite's (copied from it), the same session and sample of ids, read after SQLite's runs;
    /// and the insecure baseline on PostgreSQL (the plaintext copy copied there too, read by the
    /// same route as SQLite's baseline, through the same server and session).
    struct PostgresResults: Codable {
        let dossiers: Int
        /// Seconds to copy the SQLite registry's rows there (not a benchmark: set-up).
        let copySeconds: Double
        /// Routes `baseline on PostgreSQL` and `gate on PostgreSQL`.
        let points: [Point]
        /// Ledger entries appended on PostgreSQL by its gate runs.
        let ledgerEntries: Int64
    }

    func run() async throws -> Results {
        guard let wrk = which("wrk") else { throw BenchError("wrk is missing: apt-get install wrk (scripts/bench does it when run as root)") }
        let folder = try freshFolder(work, "http")
        defer { try? FileManager.default.removeItem(at: folder) }
        let keys = try FileKeyProvider(path: keyFile)
        // Opened as `guichet serve` opens a registry (its start-up checks), without the watch.
        let registry = try await Registry.open(database: folder.appendingPathComponent("guichet.sqlite").path, profile: profile, keys: keys,
                                               keysOrigin: keys.origin, options: RegistryOptions(watch: nil))
        let store = registry.store
        let plain = try Store(path: folder.appendingPathComponent("plaintext.sqlite").path)
        let today = LocalDate(year: 2026, month: 11, day: 23)!
        note("http: generating \(plan.httpDossiers) dossiers (sealed) and the same in clear")
        let summary = try await Place05Generator(profile: profile, keys: keys, size: plan.httpDossiers, seed: 2021_05_01, today: today)
            .generate(into: store)
        _ = try await Place05Generator(profile: Plaintext.publicProfile(profile), keys: keys, size: plan.httpDossiers, seed: 2021_05_01, today: today)
            .generate(into: plain)

        let (auth, gate) = (registry.auth, registry.gate)
        // One session drives every wrk connection: the limits of requests in flight per session
        // and account (issue #22) are lifted so that the gate's throughput is what is measured.
        let benchLimits = RequestLimits(perSession: 10_000, perAccount: 10_000)
        let server = GuichetServer(gate: gate, auth: auth, store: store, limits: benchLimits)
        var alertOnly = profile.watch
        alertOnly.enabled = true
        for severity in alertOnly.responses.keys { alertOnly.responses[severity] = .alert }
        // The ceilings are counted on every read as deployed, but set beyond reach: one account
        // reading thousands of files a second is the load here, not an attack to contain.
        let unbounded = Ceiling(burst: 1_000_000, hour: 1_000_000, day: 1_000_000, session: 1_000_000, grace: 0)
        for role in profile.roles.keys { alertOnly.ceilings[role] = unbounded }
        let watchedGate = try await Registry.open(store: store, profile: profile, keys: keys, keysOrigin: keys.origin,
                                                  options: RegistryOptions(watch: alertOnly)).gate
        let watchedServer = GuichetServer(gate: watchedGate, auth: auth, store: store, limits: benchLimits)
        let token = try await signedInAgent(auth, organisation: summary.operatorOrg)
        let ids = try sampleIDs(store.path, limit: 2_000)
        for id in ids.prefix(50) {
            guard let a = try await store.dossier(id), let b = try await plain.dossier(id), a.persons == b.persons else {
                throw BenchError("the plaintext copy does not hold the same dossiers")
            }
        }

        let (router, _) = server.publicRouter()
        Self.addBaseline(to: router, auth: auth, plain: plain)
        var quiet = Logger(label: "guichet.bench")
        quiet.logLevel = .warning
        // Two listeners on loopback: the baseline and the gate without the watch on one, the
        // gate with the watch on the other (same store, same accounts, same session).
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let (watchedPorts, watchedPortSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "Guichet"),
                              onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) }, logger: quiet)
        let watchedApp = Application(router: watchedServer.publicRouter().0,
                                     configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "Guichet"),
                                     onServerRunning: { channel in watchedPortSink.yield(channel.localAddress?.port ?? 0) }, logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [app, watchedApp], gracefulShutdownSignals: [], logger: quiet))
        let serving = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator(), watchedIterator = watchedPorts.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0, let watchedPort = await watchedIterator.next(), watchedPort > 0 else {
            throw BenchError("the servers did not start")
        }

        let script = folder.appendingPathComponent("ids.lua")
        var points: [Point] = []
        do {
            for (route, port, prefix) in [("baseline", port, "/insecure/v1/dossiers/"), ("gate", port, "/v1/dossiers/"),
                                          ("gate+watch", watchedPort, "/v1/dossiers/")] {
                points += try await measure(wrk: wrk, route: route, port: port, prefix: prefix, token: token, ids: ids, script: script)
            }
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await serving.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await serving.value
        let size = try await gate.ledgerSize()
        var results = Results(dossiers: summary.dossiers, persons: summary.persons, secondsPerRun: plan.httpSeconds, points: points, ledgerEntries: size)
        if let postgres {
            results.postgres = try await onPostgres(postgres, from: store, plain: plain, keys: keys, organisation: summary.operatorOrg, wrk: wrk, ids: ids,
                                                    script: script, limits: benchLimits, logger: quiet)
        }
        return results
    }

    /// The insecure baseline's route, `GET /insecure/v1/dossiers/:id`: the same session check
    /// as the gate's, then the same store reads of the plaintext copy, every field returned.
    static func addBaseline(to router: Router<GuichetContext>, auth: Authenticator, plain: any GateStorage) {
        router.get("/insecure/v1/dossiers/:id") { request, context -> Response in
            guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { throw GuichetError.unauthenticated }
            _ = try await auth.authenticate(token: String(header.dropFirst(7)))
            guard let raw = context.parameters.get("id"), let id = DossierID(validating: raw),
                  let (record, persons) = try await plain.dossierAndPersons(id) else { throw GuichetError.notFound }
            let body = try Plaintext.json(record, persons: persons)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    /// wrk against one route at each connection count of the plan (after a second of warm-up),
    /// with the server's memory sampled meanwhile.
    func measure(wrk: String, route: String, port: Int, prefix: String, token: String, ids: [DossierID], script: URL) async throws -> [Point] {
        try luaScript(prefix: prefix, ids: ids).write(to: script, atomically: true, encoding: .utf8)
        var points: [Point] = []
        for c in plan.connections {
            note("http: \(route), \(c) connection(s)")
            let args = ["-t", "\(min(2, c))", "-c", "\(c)", "--latency", "--timeout", "10s", "-H", "Authorization: Bearer \(token)",
                        "-H", "Guichet-Purpose: list-management", "-s", script.path, "http://127.0.0.1:\(port)"]
            _ = try await runProgramOffPool(wrk, ["-d", "1s"] + args)  // warm-up
            // The server's memory, sampled while wrk runs (the benchmark and the
            // server are one process: what grows here is the server's).
            let sampler = Task { () -> [Double] in
                var samples: [Double] = []
                while !Task.isCancelled {
                    if let m = processMemory() { samples.append(Double(m.allocated) / 1_048_576) }
                    try? await Task.sleep(for: .milliseconds(500))
                }
                return samples
            }
            let output = try await runProgramOffPool(wrk, ["-d", "\(plan.httpSeconds)s"] + args)
            sampler.cancel()
            let memory = await sampler.value
            var p = try Self.parse(output, route: route, connections: c)
            p.memoryStartMiB = memory.first; p.memoryPeakMiB = memory.max(); p.memoryEndMiB = memory.last
            guard p.non2xx == 0 else { throw BenchError("\(route) answered \(p.non2xx) non-2xx responses:\n\(output)") }
            points.append(p)
        }
        return points
    }

    /// The gate on PostgreSQL: a fresh database, the SQLite registry's rows copied there, the
    /// registry opened on it as `guichet serve --store postgres://…` opens one, an agent of the
    /// same organisation signed in, and the same wrk runs over the same sample of dossiers; the
    /// baseline the same way, over the plaintext copy copied into a second database.
    func onPostgres(_ cluster: PostgresAddress, from sqlite: Store, plain sqlitePlain: Store, keys: FileKeyProvider, organisation: OrganisationID,
                    wrk: String, ids: [DossierID], script: URL, limits: RequestLimits, logger: Logger) async throws -> PostgresResults {
        let address = try await PostgresDatabases.fresh(cluster, "guichet_bench_http")
        let plainAddress = try await PostgresDatabases.fresh(cluster, "guichet_bench_http_plain")
        let store = try await PostgresStore.open(address, timeout: .seconds(120))
        let plain: PostgresStore
        do { plain = try await PostgresStore.open(plainAddress, timeout: .seconds(120)) } catch { await store.close(); throw error }
        func close() async {
            await store.close()
            await plain.close()
        }
        let registry: OpenedRegistry, copied: Int, copySeconds: Double, token: String
        do {
            registry = try await PostgresDatabases.openRegistry(store, profile: profile, keys: keys, keysOrigin: keys.origin)
            note("http: copying the registry to PostgreSQL (\(address))")
            (copied, copySeconds) = try await timed { try await PostgresDatabases.copyRegistry(from: sqlite, to: store) }
            note("http: copying the plaintext copy to PostgreSQL (\(plainAddress))")
            _ = try await PostgresDatabases.copyRegistry(from: sqlitePlain, to: plain)
            token = try await signedInAgent(registry.auth, organisation: organisation)
        } catch {
            await close()
            throw error
        }
        let server = GuichetServer(gate: registry.gate, auth: registry.auth, store: store, limits: limits)
        let (router, _) = server.publicRouter()
        Self.addBaseline(to: router, auth: registry.auth, plain: plain)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "Guichet"),
                              onServerRunning: { channel in portSink.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let serving = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        var points: [Point] = []
        do {
            guard let port = await iterator.next(), port > 0 else { throw BenchError("the server on PostgreSQL did not start") }
            for (route, prefix) in [("baseline on PostgreSQL", "/insecure/v1/dossiers/"), ("gate on PostgreSQL", "/v1/dossiers/")] {
                points += try await measure(wrk: wrk, route: route, port: port, prefix: prefix, token: token, ids: ids, script: script)
            }
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await serving.value
            await close()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await serving.value
        let size = try await registry.gate.ledgerSize()
        await close()
        try await PostgresDatabases.drop(address, on: cluster)
        try await PostgresDatabases.drop(plainAddress, on: cluster)
        return PostgresResults(dossiers: copied, copySeconds: copySeconds, points: points, ledgerEntries: size)
    }

    /// An agent account signed in with its second factor, through the real Authenticator
    /// and SecondFactors as a client would (password, TOTP enrolment, TOTP code).
    func signedInAgent(_ auth: Authenticator, organisation: OrganisationID) async throws -> String {
        var rng = SystemRandomNumberGenerator()
        let password = "Bench-" + Base64URL.encode((0..<18).map { _ in UInt8.random(in: 0...255, using: &rng) })
        _ = try await auth.createAccount(username: "bench.agent", password: password, role: "agent", organisation: organisation, createdBy: nil)
        let session = try await auth.signIn(username: "bench.agent", password: password)
        let activation = try await auth.consoleActivation(username: "bench.agent")?.code
        let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: activation)
        _ = try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        guard try await auth.authenticate(token: session.token).mayReachPersonalData else {
            throw BenchError("the benchmark agent has no second factor")
        }
        return session.token
    }

    func sampleIDs(_ path: String, limit: Int) throws -> [DossierID] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM dossier ORDER BY random() LIMIT ?", arguments: [limit]).map(DossierID.init(trusted:))
        }
    }

    /// A wrk script that asks for a random dossier of the sample on every request.
    func luaScript(prefix: String, ids: [DossierID]) -> String {
        """
        local ids = {\(ids.map { "\"\($0.rawValue)\"" }.joined(separator: ","))}
        math.randomseed(42)
        request = function()
          return wrk.format("GET", "\(prefix)" .. ids[math.random(#ids)])
        end
        """
    }

    /// Reads wrk's report: requests/s, the latency distribution, errors and non-2xx answers.
    static func parse(_ output: String, route: String, connections: Int) throws -> Point {
        func millis(_ text: Substring) -> Double? {
            let units: [(String, Double)] = [("us", 1e-3), ("ms", 1), ("s", 1e3), ("m", 6e4)]
            for (suffix, factor) in units where text.hasSuffix(suffix) {
                if let v = Double(text.dropLast(suffix.count)) { return v * factor }
            }
            return nil
        }
        var rps: Double?, p50: Double?, p99: Double?, requests = 0, non2xx = 0, socket = 0
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = words.first else { continue }
            switch first {
            case "Requests/sec:": rps = words.count > 1 ? Double(words[1]) : nil
            case "50%": p50 = words.count > 1 ? millis(words[1]) : nil
            case "99%": p99 = words.count > 1 ? millis(words[1]) : nil
            case "Non-2xx": non2xx += Int(words.last ?? "") ?? 0
            case "Socket":  // Socket errors: connect 0, read 0, write 0, timeout 0
                socket += words.compactMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) }.reduce(0, +)
            default:
                if words.count > 2, words[1] == "requests", words[2] == "in" { requests = Int(first) ?? 0 }
            }
        }
        guard let rps, let p50, let p99 else { throw BenchError("cannot read wrk's output:\n\(output)") }
        return Point(route: route, connections: connections, requestsPerSecond: rps, p50Millis: p50, p99Millis: p99, requests: requests, non2xx: non2xx, socketErrors: socket)
    }
}
