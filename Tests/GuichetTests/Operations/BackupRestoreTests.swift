import Foundation
import GRDB
import Synchronization
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
import GuichetVault

/// The writes a drill's writers had acknowledged, and when; and the order to stop.
final class Drill: Sendable {
    let acknowledged = Mutex<[(id: DossierID, at: ContinuousClock.Instant)]>([])
    let stop = Atomic<Bool>(false)
}

/// `guichet backup` and `guichet restore` as library calls (the commands call these and print):
/// a backup taken while writes go on holds every write acknowledged before it began, and a
/// restore accepts it only once its ledger verifies (issue #21, item 4).
@Suite struct BackupRestoreTests {
    /// A restored folder's path, with the registry's key file copied in (keys travel apart).
    static func target(_ world: World) throws -> (folder: URL, database: String, keys: FileKeyProvider) {
        let folder = try temporaryFolder()
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try FileManager.default.copyItem(atPath: world.keyFile, toPath: keyFile)
        return (folder, folder.appendingPathComponent("guichet.sqlite").path, try FileKeyProvider(path: keyFile))
    }

    static func restore(_ backup: String, into database: String, keys: FileKeyProvider, replace: Bool = false) async throws -> RestoreReport {
        try await Registry.restore(from: backup, into: database, replace: replace, keys: keys, keysOrigin: keys.origin) { _ in try Repo.profile() }
    }

    @Test("restore drill: a backup taken under write load holds every write acknowledged before it began, and its ledger verifies", .sqliteOnly)
    func drill() async throws {
        let world = try await World.make()
        defer { world.remove() }
        for i in 0..<4 { _ = try await world.registerParent("parent\(i)") }
        // Writers: applications created through the gate, each acknowledged write noted with the
        // moment it was acknowledged.
        let drill = Drill()
        let writers = (0..<4).map { i in
            Task {
                var n = 0
                while !drill.stop.load(ordering: .relaxed) && n < 400 {
                    let written = try await world.application(by: "parent\(i)", daycares: [n % 3], childName: "Child\(n)")
                    drill.acknowledged.withLock { $0.append((written.id, ContinuousClock.now)) }
                    n += 1
                }
            }
        }
        // Back up once some writes are in, while the writers go on.
        while drill.acknowledged.withLock({ $0.count }) < 20 { try await Task.sleep(for: .milliseconds(5)) }
        let backup = world.folder.appendingPathComponent("backup.sqlite").path
        let began = ContinuousClock.now
        let summary = try await Task.detached { try Store.backup(database: world.sqlite.path, to: backup) }.value
        let ended = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(20)
        while drill.acknowledged.withLock({ $0.filter { $0.at > ended }.count }) < 5 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        drill.stop.store(true, ordering: .relaxed)
        for w in writers { try await w.value }
        let before = drill.acknowledged.withLock { $0.filter { $0.at < began }.map(\.id) }
        let total = drill.acknowledged.withLock { $0.count }
        #expect(before.count >= 20 && total > before.count, "writes went on during the backup (\(before.count) before, \(total) in all)")

        let attributes = try FileManager.default.attributesOfItem(atPath: backup)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: backup + "-wal"), "one self-contained file")
        #expect(summary.ledgerEntries > 0)

        let target = try Self.target(world)
        defer { try? FileManager.default.removeItem(at: target.folder) }
        let report = try await Self.restore(backup, into: target.database, keys: target.keys)
        #expect(report.ledgerEntries == summary.ledgerEntries && !report.replaced && report.profile == "place05")
        #expect(!FileManager.default.fileExists(atPath: target.database + ".restoring"))

        let restored = try Store(path: target.database)
        let present = try await restored.dossiers(before)
        #expect(present.count == before.count, "every write acknowledged before the backup began is in it: \(present.count) of \(before.count)")
        // The restored registry opens with its keys and its ledger verifies again.
        let registry = try await Registry.open(database: target.database, profile: try Repo.profile(), keys: target.keys, keysOrigin: target.keys.origin,
                                               options: RegistryOptions(relyingParty: RelyingParty(id: "guichet.example", origin: "https://guichet.example"), watch: nil))
        let verified = try await registry.gate.auditor.verify()
        #expect(verified.problem == nil && verified.entries == summary.ledgerEntries)
    }

    @Test("a backup never holds the key file's keys, and never overwrites a file", .sqliteOnly)
    func noKeys() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let backup = world.folder.appendingPathComponent("b.sqlite").path
        _ = try Store.backup(database: world.sqlite.path, to: backup)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: backup))
        let keyFile = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: world.keyFile)))
        var secrets: [String] = []
        func collect(_ v: Any) {
            if let s = v as? String, s.count >= 32 { secrets.append(s) }
            if let d = v as? [String: Any] { d.values.forEach(collect) }
            if let a = v as? [Any] { a.forEach(collect) }
        }
        collect(keyFile)
        #expect(!secrets.isEmpty)
        for s in secrets {
            #expect(bytes.range(of: Data(s.utf8)) == nil, "a key of the key file is in the backup")
            if let raw = Data(base64Encoded: s) { #expect(bytes.range(of: raw) == nil, "a raw key is in the backup") }
        }
        #expect(throws: BackupError.outputExists(backup)) { _ = try Store.backup(database: world.sqlite.path, to: backup) }
        #expect(throws: BackupError.self) { _ = try Store.backup(database: world.folder.appendingPathComponent("none.sqlite").path, to: backup + "2") }
    }

    @Test("a restore refuses a folder that holds a registry unless told to replace it, and says it replaced it", .sqliteOnly)
    func nonEmptyTarget() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let backup = world.folder.appendingPathComponent("b.sqlite").path
        _ = try Store.backup(database: world.sqlite.path, to: backup)
        let target = try Self.target(world)
        defer { try? FileManager.default.removeItem(at: target.folder) }
        _ = try await Self.restore(backup, into: target.database, keys: target.keys)
        await #expect(throws: BackupError.targetNotEmpty(target.database)) {
            _ = try await Self.restore(backup, into: target.database, keys: target.keys)
        }
        let again = try await Self.restore(backup, into: target.database, keys: target.keys, replace: true)
        #expect(again.replaced)
    }

    @Test("a restore refuses a backup whose ledger was changed, a file that is not a backup, and keys of another registry; the target stays empty", .sqliteOnly)
    func refusals() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent0")
        _ = try await world.application(by: "parent0")
        try await world.gate.checkpoint(at: Date())
        let backup = world.folder.appendingPathComponent("b.sqlite").path
        _ = try Store.backup(database: world.sqlite.path, to: backup)
        let target = try Self.target(world)
        defer { try? FileManager.default.removeItem(at: target.folder) }

        // An insider edits an entry of the copy (the triggers that refuse it dropped first).
        let tampered = world.folder.appendingPathComponent("tampered.sqlite").path
        try FileManager.default.copyItem(atPath: backup, toPath: tampered)
        let db = try DatabaseQueue(path: tampered)
        try await db.write { db in
            let triggers = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entry'")
            for t in triggers { try db.execute(sql: "DROP TRIGGER \(t)") }
            try db.execute(sql: "UPDATE ledger_entry SET entry = CAST('forged' AS BLOB) WHERE idx = 1")
        }
        try db.close()
        await #expect(throws: BackupError.self) { _ = try await Self.restore(tampered, into: target.database, keys: target.keys) }
        #expect(!FileManager.default.fileExists(atPath: target.database))

        let notABackup = world.folder.appendingPathComponent("notes.txt").path
        try Data("SQLite? no.".utf8).write(to: URL(fileURLWithPath: notABackup))
        await #expect(throws: BackupError.notABackup(notABackup)) { _ = try await Self.restore(notABackup, into: target.database, keys: target.keys) }

        let otherKeys = target.folder.appendingPathComponent("other.keys").path
        try KeySet.generate().write(to: otherKeys)
        await #expect(throws: KeyError.self) { _ = try await Self.restore(backup, into: target.database, keys: try FileKeyProvider(path: otherKeys)) }
        #expect(!FileManager.default.fileExists(atPath: target.database))
    }
}
