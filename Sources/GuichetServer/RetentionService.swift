import GuichetCore
import GuichetGate
import Logging
import ServiceLifecycle

/// Applies the profile's retention rules once a day (`Gate+Retention.swift`), the first time a
/// few minutes after start. A failed run is logged (its kind, never a record) and tried again
/// the next day; what it did before failing stays done and journalled.
///
/// Among several servers on one database, only the checkpoint signer runs it (the one elected,
/// ``CheckpointSigning``), so that two servers never apply the rules at once.
struct RetentionService: Service {
    let gate: Gate
    let first: Duration
    let every: Duration
    let logger: Logger
    var signing: (any CheckpointSigning)? = nil

    func run() async throws {
        // A service that returns stops the whole group: without rules, wait for the shutdown.
        guard !gate.profile.retention.rules.isEmpty else { try? await gracefulShutdown(); return }
        var wait = first
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pause = wait
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) } } catch { return }
            wait = every
            guard signing?.isLeading != false else { continue }
            do {
                let report = try await gate.runRetention(requestID: "retention-daily")
                logger.notice("retention run", metadata: ["archived": "\(report.archived)", "erased": "\(report.erased)",
                                                          "persons": "\(report.personsErased)", "kept-erased": "\(report.keptErased)"])
            } catch {
                logger.error("the retention run failed; tried again tomorrow", metadata: ["error": .string(String(describing: type(of: error)))])
            }
        }
    }
}

extension GuichetServer {
    /// How often the running server applies the retention rules.
    public var retentionInterval: Duration { .seconds(86_400) }
}

/// Among servers sharing one database, copies into this server's erasure list, every half
/// minute, the erasures the others made (``Gate/copyErasures(batch:)``): any server's list then
/// restores them all after a restore of the database. A failed copy is logged and tried again.
struct ErasureCopyService: Service {
    let gate: Gate
    let every: Duration
    let logger: Logger

    func run() async throws {
        var wait = Duration.seconds(5)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pause = wait
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) } } catch { return }
            wait = every
            do {
                let n = try await gate.copyErasures()
                if n > 0 { logger.info("erasures copied into this server's erasure list", metadata: ["subjects": "\(n)"]) }
            } catch {
                logger.error("the erasures of the other servers could not be copied into this server's erasure list; tried again in a moment",
                             metadata: ["error": .string(String(describing: type(of: error)))])
            }
        }
    }
}
