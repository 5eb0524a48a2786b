import Foundation
import GRDB
import Testing
import GuichetCore
@testable import GuichetStore
import GuichetSynth

/// Honeytokens look like real records to whoever reads the database: every column a dossier
/// has (and its links, versions, keys and persons) is drawn from the same distribution.
@Suite struct HoneytokenShapeTests {
    /// One dossier as the database shows it, without opening a sealed field.
    struct Row {
        var categorical: [String]
        var numeric: [Double]
    }

    static let categoricalNames = ["type", "status", "organisation", "assigned agent", "territory", "key version"]
    static let numericNames = [
        "version", "created at", "updated at", "sealed fields length", "partners", "local partner share",
        "mean partner demand", "person links", "parent links", "versions kept", "version snapshot length",
        "wrapped key length", "key created at", "insertion order", "child sealed length", "first parent sealed length",
        "second parent sealed length", "blind-index terms", "person versions kept", "most dossiers of one linked person",
        "first linked person's insertion order", "persons updated at",
    ]

    /// Reads every feature of every dossier from the database's own columns.
    static func features(_ store: Store) async throws -> [String: Row] {
        try await store.pool.read { db in
            var demand: [String: Double] = [:], territory: [String: String] = [:]
            for row in try GRDB.Row.fetchAll(db, sql: "SELECT organisation_id, count(*) AS n FROM dossier_partner GROUP BY organisation_id") {
                demand[row["organisation_id"]] = Double(row["n"] as Int)
            }
            for row in try GRDB.Row.fetchAll(db, sql: "SELECT id, territory FROM organisation") { territory[row["id"]] = row["territory"] }
            var partners: [String: [String]] = [:]
            for row in try GRDB.Row.fetchAll(db, sql: "SELECT dossier_id, organisation_id FROM dossier_partner ORDER BY dossier_id, rank") {
                partners[row["dossier_id"], default: []].append(row["organisation_id"])
            }
            struct Person { var length = 0.0, rowid = 0.0, updated = 0.0, terms = 0.0, versions = 0.0, dossiers = 0.0 }
            var persons: [String: Person] = [:]
            for row in try GRDB.Row.fetchAll(db, sql: """
                SELECT p.id, length(p.fields) AS len, p.rowid AS rid, p.updated_at,
                       (SELECT count(*) FROM person_term t WHERE t.person_id = p.id) AS terms,
                       (SELECT count(*) FROM person_version v WHERE v.person_id = p.id) AS versions,
                       (SELECT count(*) FROM dossier_person l WHERE l.person_id = p.id) AS dossiers
                FROM person p
                """) {
                persons[row["id"]] = Person(length: Double(row["len"] as Int), rowid: Double(row["rid"] as Int), updated: Double(row["updated_at"] as Int),
                                            terms: Double(row["terms"] as Int), versions: Double(row["versions"] as Int),
                                            dossiers: Double(row["dossiers"] as Int))
            }
            var links: [String: [(role: String, person: String)]] = [:]
            for row in try GRDB.Row.fetchAll(db, sql: "SELECT dossier_id, person_id, role FROM dossier_person ORDER BY dossier_id, role, position") {
                links[row["dossier_id"], default: []].append((row["role"], row["person_id"]))
            }
            var out: [String: Row] = [:]
            for row in try GRDB.Row.fetchAll(db, sql: """
                SELECT d.id, d.rowid AS rid, d.type, d.status, d.version, d.created_at, d.updated_at, d.organisation_id, d.assigned_agent_id,
                       d.territory, length(d.fields) AS len, k.kek_version, length(k.wrapped) AS key_len, k.created_at AS key_at,
                       (SELECT count(*) FROM dossier_version v WHERE v.dossier_id = d.id) AS versions,
                       (SELECT sum(length(v.snapshot)) FROM dossier_version v WHERE v.dossier_id = d.id) AS snapshots
                FROM dossier d JOIN data_key k ON k.subject_id = d.id
                """) {
                let id: String = row["id"]
                let chosen = partners[id] ?? []
                let linked = links[id] ?? []
                let family = linked.compactMap { persons[$0.person] }
                let parents = linked.filter { $0.role == "parent" }.compactMap { persons[$0.person] }
                let child = linked.first { $0.role == "child" }.flatMap { persons[$0.person] }
                let place: String? = row["territory"]
                out[id] = Row(
                    categorical: [row["type"], row["status"], row["organisation_id"] == nil ? "none" : "some",
                                  row["assigned_agent_id"] == nil ? "none" : "some", place ?? "none", "\(row["kek_version"] as Int)"],
                    numeric: [
                        Double(row["version"] as Int), Double(row["created_at"] as Int), Double(row["updated_at"] as Int), Double(row["len"] as Int),
                        Double(chosen.count),
                        chosen.isEmpty ? 0 : Double(chosen.filter { territory[$0] == place }.count) / Double(chosen.count),
                        chosen.isEmpty ? 0 : chosen.reduce(0) { $0 + (demand[$1] ?? 0) } / Double(chosen.count),
                        Double(linked.count), Double(parents.count), Double(row["versions"] as Int), Double(row["snapshots"] as Int),
                        Double(row["key_len"] as Int), Double(row["key_at"] as Int), Double(row["rid"] as Int),
                        child?.length ?? 0, parents.first?.length ?? 0, parents.dropFirst().first?.length ?? 0,
                        family.reduce(0) { $0 + $1.terms }, family.reduce(0) { $0 + $1.versions },
                        family.map(\.dossiers).max() ?? 0, family.map(\.rowid).min() ?? 0, family.map(\.updated).max() ?? 0,
                    ])
            }
            return out
        }
    }

    @Test("the database alone cannot tell honeytoken applications from real ones: no column differs, no classifier beats chance", .sqliteOnly)
    func honeytokensHaveTheShapeOfRealRecords() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let planted = try await world.plant(size: 2_500, honeytokens: 40)
        let rows = try await Self.features(world.sqlite)
        let honey = Set(planted.dossiers.map(\.rawValue))
        #expect(honey.count == 40 && rows.count >= 2_540)
        let decoys = rows.filter { honey.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        let real = rows.filter { !honey.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        #expect(decoys.count == 40)

        // Each feature on its own: two-sample tests, Bonferroni-corrected to 5 % overall.
        let alpha = 0.05 / Double(Self.categoricalNames.count + Self.numericNames.count)
        var report: [String] = [], rejected: [String] = [], lowest = (p: 1.0, name: "")
        for (i, name) in Self.categoricalNames.enumerated() {
            let t = TwoSample.chiSquare(decoys.map { $0.categorical[i] }, real.map { $0.categorical[i] })
            report.append(String(format: "%@: χ²=%.1f df=%d p=%.2g", name, t.statistic, t.df, t.p))
            if t.p < alpha { rejected.append(name) }
            if t.p < lowest.p { lowest = (t.p, name) }
        }
        for (i, name) in Self.numericNames.enumerated() {
            let t = TwoSample.kolmogorovSmirnov(decoys.map { $0.numeric[i] }, real.map { $0.numeric[i] })
            report.append(String(format: "%@: D=%.2f p=%.2g", name, t.d, t.p))
            if t.p < alpha { rejected.append(name) }
            if t.p < lowest.p { lowest = (t.p, name) }
        }
        #expect(rejected.isEmpty, "features that tell honeytokens apart: \(rejected)\n\(report.joined(separator: "\n"))")

        // All features together: classifiers trained on half the honeytokens, tested on a
        // balanced held-out set (chance is 0.5).
        let levels = Self.categoricalNames.indices.map { i in Array(Set(rows.values.map { $0.categorical[i] })).sorted() }
        func vector(_ r: Row) -> [Double] {
            r.numeric + levels.enumerated().flatMap { i, values in values.map { r.categorical[i] == $0 ? 1.0 : 0.0 } }
        }
        let accuracy = TwoSample.classifierAccuracy(positives: decoys.map(vector), negatives: real.map(vector), rounds: 25, seed: 14)
        let figures = String(format: "balanced accuracy: stump %.3f, 5-NN %.3f", accuracy.stump, accuracy.nearestNeighbours)
        print(String(format: "honeytoken shape: %@; %d of %d features tell them apart at p < %.4f (lowest p: %.3g, %@)", figures,
                     rejected.count, report.count, alpha, lowest.p, lowest.name))
        #expect(accuracy.stump <= 0.65, "\(figures)")
        #expect(accuracy.nearestNeighbours <= 0.65, "\(figures)")
    }
}
