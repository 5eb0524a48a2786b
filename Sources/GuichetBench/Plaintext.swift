import Foundation
import GuichetCore
// The insecure baseline reads stored field maps in clear: loudly, through the vault's SPI.
@_spi(VaultOnly) @_spi(Bench) import GuichetStore
import GRDB

/// The insecure side of every comparison: the same rows, nothing encrypted, no key, no
/// blind index. Compiled only into the benchmark, never into `guichet`.
enum Plaintext {
    /// The profile with every field classified public, so that the production generator and
    /// store write the same rows with every value in clear.
    static func publicProfile(_ p: Profile) -> Profile {
        func open(_ f: FieldSpec) -> FieldSpec {
            FieldSpec(name: f.name, type: f.type, classification: .public, required: f.required, searchable: f.searchable, system: f.system)
        }
        let types = p.dossierTypes.mapValues { t in
            DossierType(name: t.name, persons: t.persons, partners: t.partners, fields: t.fields.map(open), workflow: t.workflow)
        }
        return Profile(name: p.name, title: p.title, defaultLanguage: p.defaultLanguage, personFields: p.personFields.map(open),
                       organisationKinds: p.organisationKinds, dossierTypes: types, roles: p.roles, rules: p.rules, purposes: p.purposes)
    }

    /// A field map in the vault's stored layout (format byte 0x01; per field: name length,
    /// name, encrypted flag, 32-bit length, value as type letter + text), all in clear.
    static func encode(_ values: [String: FieldValue]) -> Data {
        var out = Data([0x01])
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            let n = Data(name.utf8)
            out.append(UInt8(n.count)); out.append(n); out.append(0)
            let payload: Data
            switch value {
            case .text(let s): payload = Data(("t" + s).utf8)
            case .integer(let i): payload = Data("i\(i)".utf8)
            case .date(let d): payload = Data(("d" + d.iso).utf8)
            case .boolean(let b): payload = Data(b ? "b1".utf8 : "b0".utf8)
            }
            let len = UInt32(payload.count)
            out.append(contentsOf: [UInt8(len >> 24), UInt8(len >> 16 & 0xFF), UInt8(len >> 8 & 0xFF), UInt8(len & 0xFF)])
            out.append(payload)
        }
        return out
    }

    /// Decodes a stored field map whose values are in clear (type letter dropped).
    /// - Throws: when a value is encrypted or the layout is wrong (the baseline must never
    ///   be handed the real, sealed registry by mistake).
    static func decode(_ data: Data) throws -> [String: String] {
        let b = [UInt8](data)
        guard b.first == 0x01 else { throw BenchError("not a field map") }
        var i = 1
        var out: [String: String] = [:]
        while i < b.count {
            let nl = Int(b[i]); i += 1
            guard i + nl + 5 <= b.count else { throw BenchError("truncated field map") }
            let name = String(decoding: b[i..<i + nl], as: UTF8.self); i += nl
            guard b[i] == 0 else { throw BenchError("the plaintext baseline met an encrypted field") }
            i += 1
            let len = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]); i += 4
            guard i + len <= b.count, len >= 1 else { throw BenchError("truncated field map") }
            out[name] = String(decoding: b[i + 1..<i + len], as: UTF8.self)
            i += len
        }
        return out
    }

    /// The baseline's answer for one dossier: every field of the dossier and of its persons.
    static func json(_ d: DossierRecord, persons: [PersonID: PersonRecord]) throws -> Data {
        func object(_ fields: [String: String]) -> JSON { .object(fields.mapValues(JSON.string)) }
        var people: [JSON] = []
        for link in d.persons {
            guard let p = persons[link.person] else { continue }
            people.append(.object(["role": .string(link.role), "id": .string(link.person.rawValue), "fields": object(try decode(p.fields.bytes))]))
        }
        let value: JSON = .object([
            "id": .string(d.id.rawValue), "type": .string(d.type), "status": .string(d.status), "version": .number(Double(d.version)),
            "fields": object(try decode(d.fields.bytes)), "persons": .array(people), "partners": .array(d.partners.map { .string($0.rawValue) }),
        ])
        // The encoder and options of the server's own JSON answers (Reply.json), so that both
        // routes pay the same serialisation.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

/// Writes persons in clear with the SQL of `Store.importPersons` less the data key: the
/// plaintext side of the import comparison (same pragmas, same batches, same indexes).
final class PlaintextWriter: Sendable {
    let pool: DatabasePool

    /// - Parameter path: a database already created (migrated) by `Store(path:)`.
    init(path: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Not mapped, as the store (`Store.init`): until 3 December the baseline alone read
            // through a 1 GiB mapping, which the comparison did not mean to measure.
            try db.execute(sql: "PRAGMA mmap_size = 0")
        }
        pool = try DatabasePool(path: path, configuration: config)
        // GRDB sets `synchronous = NORMAL` on the writer when it turns WAL on: FULL again, as
        // the store does, so that both sides pay the same commit.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    }

    struct Row: Sendable {
        let id: String
        let fields: Data
        let terms: [(field: String, term: String)]
    }

    func write(_ rows: [Row], at: Date) async throws {
        let millis = at.millis
        try await pool.write { db in
            // As `Store.importPersons` does: the import's page cache for the batch (256 MiB, then
            // back to 64 MiB), each table written in the order of its primary key.
            try db.execute(sql: "PRAGMA cache_size = -262144")
            defer { try? db.execute(sql: "PRAGMA cache_size = -65536") }
            let sorted = rows.sorted { $0.id < $1.id }
            // Bound as the store binds an import's rows (`RawStatement`).
            func statement(_ sql: String) throws -> RawStatement {
                RawStatement(statement: try db.cachedStatement(sql: sql).sqliteStatement, connection: db.sqliteConnection)
            }
            // The current version in `person` alone, with its kind of change, as the store
            // writes it since `v-person-current-version`.
            let person = try statement("INSERT INTO person(id, version, fields, updated_at, changed_by, change) VALUES (?, 1, ?, ?, ?, ?)")
            for r in sorted {
                try person.run { try $0.text(1, r.id); try $0.blob(2, r.fields); try $0.int(3, millis); try $0.text(4, nil); try $0.text(5, "import") }
            }
            var terms = sorted.flatMap { r in r.terms.map { (field: $0.field, term: $0.term, person: r.id) } }
            terms.sort { ($0.field, $0.term, $0.person) < ($1.field, $1.term, $1.person) }
            let term = try statement("INSERT OR IGNORE INTO person_term(field, term, person_id) VALUES (?, ?, ?)")
            for t in terms { try term.run { try $0.text(1, t.field); try $0.text(2, t.term); try $0.text(3, t.person) } }
        }
    }

    /// One person's fields in clear.
    func read(_ id: String) async throws -> [String: String] {
        let data = try await pool.read { db in try Data.fetchOne(db.cachedStatement(sql: "SELECT fields FROM person WHERE id = ?"), arguments: [id]) }
        guard let data else { throw BenchError("a plaintext person is missing") }
        return try Plaintext.decode(data)
    }
}
