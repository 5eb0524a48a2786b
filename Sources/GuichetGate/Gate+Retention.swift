public import GuichetCore
@_spi(GateOnly) import GuichetLedger
public import GuichetStore
public import Foundation
@_spi(GateOnly) import GuichetVault

/// How far a retention run went, for its progress lines and its final report.
public struct RetentionProgress: Sendable, Equatable {
    public let dossierType: String
    public let state: String
    public let step: RetentionStep
    /// Dossiers done (or, in a dry run, found) so far for this rule and step.
    public let dossiers: Int
    /// Persons erased (or, in a dry run, that would be) so far for this rule (erasure step).
    public let persons: Int
}

/// What a retention run did, or (dry run) would do.
public struct RetentionReport: Sendable, Equatable {
    public var dryRun: Bool
    /// The moment the run measured ages from (the gate's clock at its start).
    public var at: Date
    /// Per rule and step: dossiers archived or erased.
    public var steps: [RetentionProgress] = []
    /// The dossiers a dry run would archive and erase (empty for a real run).
    public var wouldArchive: [DossierID] = []
    public var wouldErase: [DossierID] = []
    /// Sets of fields kept for a legal duty whose term was over and whose key was destroyed
    /// (a dry run: would be).
    public var keptErased = 0
    public var archived: Int { steps.filter { $0.step == .archive }.reduce(0) { $0 + $1.dossiers } }
    public var erased: Int { steps.filter { $0.step == .erase }.reduce(0) { $0 + $1.dossiers } }
    public var personsErased: Int { steps.reduce(0) { $0 + $1.persons } }
}

/// Retention (C13): the profile's rules applied at the gate's clock. Each rule erases first
/// (the dossiers past their erasure age), then archives (those past their archive age only),
/// in batches, oldest first. Each batch is journalled before it is done, then done in one
/// transaction; a run that stops resumes where it stopped, because what is done is marked and
/// never found again. A dry run journals nothing and changes nothing.
extension Gate {
    /// Largest batch of a retention run.
    public static let maxRetentionBatch = 5_000

    /// Runs the profile's retention rules.
    /// - Parameters:
    ///   - dryRun: list what would be archived and erased, change nothing.
    ///   - batch: dossiers per transaction (and per ledger entry), 1 to ``maxRetentionBatch``.
    ///   - stopAfter: stop after this many batches (an interruption, as tests and the benchmark
    ///     make one); nil: run to the end. The next run goes on from there.
    ///   - progress: called after each batch.
    /// - Throws: ``GuichetError/invalid(_:)`` for a bad batch size; ``GuichetError/unavailable(_:)``
    ///   when a step cannot be journalled (nothing of that batch is done).
    public func runRetention(dryRun: Bool = false, batch: Int = 1_000, stopAfter: Int? = nil,
                             requestID: String = "retention-\(UUID().uuidString)",
                             progress: @Sendable (RetentionProgress) -> Void = { _ in }) async throws -> RetentionReport {
        defer { if !dryRun { changes.bump() } }
        guard (1...Self.maxRetentionBatch).contains(batch) else {
            throw GuichetError.invalid("the batch size is from 1 to \(Self.maxRetentionBatch)")
        }
        if let stopAfter, stopAfter < 1 { throw GuichetError.invalid("stop after at least one batch") }
        let now = clock()
        var report = RetentionReport(dryRun: dryRun, at: now)
        var budget = stopAfter ?? Int.max
        for rule in profile.retention.rules.sorted(by: { ($0.dossierType, $0.state) < ($1.dossierType, $1.state) }) {
            let erased = try await retentionStep(rule, .erase, before: now.addingTimeInterval(-rule.eraseAfter), now: now,
                                                 dryRun: dryRun, batch: batch, budget: &budget, requestID: requestID, report: &report, progress: progress)
            report.steps.append(erased)
            if let archive = rule.archiveAfter {
                let archived = try await retentionStep(rule, .archive, before: now.addingTimeInterval(-archive), now: now,
                                                       dryRun: dryRun, batch: batch, budget: &budget, requestID: requestID, report: &report, progress: progress)
                report.steps.append(archived)
            }
        }
        report.keptErased = try await expireKept(now: now, dryRun: dryRun, batch: batch, budget: &budget, requestID: requestID)
        return report
    }

    private func retentionStep(_ rule: RetentionRule, _ step: RetentionStep, before cutoff: Date, now: Date, dryRun: Bool, batch: Int,
                               budget: inout Int, requestID: String, report: inout RetentionReport,
                               progress: @Sendable (RetentionProgress) -> Void) async throws -> RetentionProgress {
        var after: RetentionCandidate?
        var dossiers = 0, persons = 0
        let context = AccessContext(requestID: requestID, subject: nil, session: nil, source: nil, purpose: nil, at: now)
        // A dry run's archive step leaves out what its erase step listed (built once per step).
        let erasing = dryRun && step == .archive ? Set(report.wouldErase) : []
        let reason = "retention: \(rule.dossierType) \(rule.state), \(step.rawValue) after \(Int(step == .erase ? rule.eraseAfter : rule.archiveAfter ?? 0) / 86_400) days"
        while budget > 0 {
            let found = try await store.retentionCandidates(type: rule.dossierType, state: rule.state, step: step, changedBefore: cutoff,
                                                            after: after, limit: batch)
            guard let last = found.last else { break }
            after = last
            let ids = found.map(\.dossier)
            if dryRun {
                if step == .erase {
                    report.wouldErase += ids
                    // The persons the run would erase: those left with no dossier but the ones it
                    // would erase so far (it erases batch after batch, rule after rule).
                    persons += try await store.personsFreed(found.flatMap(\.persons), erasing: Set(report.wouldErase)).count
                } else {
                    // What the run would erase first is not archived.
                    let archiving = ids.filter { !erasing.contains($0) }
                    report.wouldArchive += archiving
                    dossiers += archiving.count - ids.count
                }
                dossiers += ids.count
            } else if step == .archive {
                // Under the archive KEK (docs/KEYS.md): the dossiers' data keys, and those of the
                // persons only archived or erased dossiers link; without one, as before.
                var rewrapped: [String: WrappedKey] = [:]
                if vault.hasArchiveKey {
                    let persons = try await store.personsArchived(found.flatMap(\.persons), archiving: Set(ids))
                    let wrapped = try await store.wrappedKeys(ids.map(\.rawValue) + persons.map(\.rawValue))
                    for (subject, key) in wrapped { rewrapped[subject] = try sealing { try vault.archiveWrap(key, subject: subject) } }
                }
                let keyNote = vault.hasArchiveKey ? "; data keys under the archive key" : "; no archive key: data keys under the ordinary key"
                do {
                    try await journal.recordSystemEvent("retention:archive", reason: reason + keyNote, persons: found.flatMap(\.persons), dossiers: ids,
                                                        context: context)
                } catch { throw GuichetError.unavailable("the archiving could not be recorded, so nothing was archived") }
                dossiers += try await store.archive(ids, at: now, rewrapped: rewrapped)
            } else {
                let freed = try await store.personsFreed(found.flatMap(\.persons), erasing: Set(ids))
                // Fields kept for a legal duty: sealed again under their own keys before the
                // others are destroyed, stored in the erasure's transaction.
                var kept: [Kept] = []
                if profile.retention.kept[rule.dossierType] != nil {
                    let persons = try await store.persons(Array(Set(found.flatMap(\.persons))))
                    kept = try keptFields(try await store.dossiers(ids), persons: persons, dossierFields: { _ in true }, at: now)
                }
                let keptNote = kept.isEmpty ? "" : "; kept for a legal duty: \(Set(kept.flatMap(\.paths)).sorted().joined(separator: ", "))"
                do {
                    try await journal.recordSystemEvent("retention:erase", reason: reason + keptNote, persons: freed, dossiers: ids, context: context)
                } catch { throw GuichetError.unavailable("the erasure could not be recorded, so nothing was erased") }
                let shredded = try await store.erase(dossiers: ids, persons: freed, at: now, kept: kept.map(\.record))
                await recordErasures(ids.map(\.rawValue) + shredded.map(\.rawValue))
                persons += shredded.count
                dossiers += ids.count
            }
            budget -= 1
            progress(RetentionProgress(dossierType: rule.dossierType, state: rule.state, step: step, dossiers: dossiers, persons: persons))
            if found.count < batch { break }
        }
        return RetentionProgress(dossierType: rule.dossierType, state: rule.state, step: step, dossiers: dossiers, persons: persons)
    }
}
