public import GuichetCore
public import GuichetStore
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetVault
import Foundation
import Logging

/// One cell of an imported line, with the column it came from (errors name the column,
/// never the cell's content).
public struct ImportCell: Sendable {
    public let column: String
    public let text: String
    public init(column: String, text: String) { self.column = column; self.text = text }
}

/// One line of an import file, its cells sorted by where they go (``ImportMapping``); the
/// gate validates it as it validates a `create` request.
public struct ImportLine: Sendable {
    public let line: Int
    /// Dossier field → cell.
    public var fields: [String: ImportCell] = [:]
    /// Person slots in the mapping's order: role, number, person field → cell.
    public var persons: [(role: String, index: Int, fields: [String: ImportCell])] = []
    public var status: ImportCell?
    public var createdAt: ImportCell?
    public var updatedAt: ImportCell?
    /// The owning organisation and the partners, already found by name (the importer looks
    /// them up among the organisations of the right kind).
    public var organisation: Organisation?
    public var partners: [Organisation] = []
    /// Problems the importer found reading the line (an organisation no name matches): the
    /// gate reports them with its own, and counts such a partner cell as a partner given.
    public var problems: [ImportProblem] = []
    public var unresolvedPartners = 0
    public init(line: Int) { self.line = line }
}

/// Why a line cannot be imported: the column at fault (when one is) and what is expected.
/// It never holds a cell's content.
public struct ImportProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: String?
    public let message: String
    public init(line: Int, column: String?, message: String) { self.line = line; self.column = column; self.message = message }
    public var description: String { column.map { "line \(line), column \($0): \(message)" } ?? "line \(line): \(message)" }
}

/// Every problem found on one line, so that one run of an import names every bad cell (a new
/// user's audit: a co-operative fixing an export needed one run per bad cell). A line whose
/// cells cannot be read at all (a malformed record, a wrong count of cells) has one.
public struct ImportProblems: Error, Sendable, Equatable {
    public let problems: [ImportProblem]
    public init(_ problems: [ImportProblem]) { self.problems = problems }
}

/// A line the gate validated, ready to be sealed and stored by ``Gate/importBatch(_:run:requestID:)``.
/// Only the gate makes one.
public struct ValidatedImport: Sendable {
    let line: Int
    let type: DossierType
    let status: String
    let createdAt: Date?
    let updatedAt: Date?
    let organisation: Organisation?
    let partners: [Organisation]
    let fields: [String: FieldValue]
    let persons: [(role: String, values: [String: FieldValue])]
    /// How many persons the line creates.
    public var personCount: Int { persons.count }
}

extension Gate {
    /// Validates one line of an import as the API validates a creation: the profile's field
    /// types and formats (``FieldValidation``), required fields, how many persons of each role,
    /// the workflow state. Nothing is sealed or stored.
    /// - Throws: ``ImportProblems``: every problem of the line, each naming its column.
    public func validateImport(_ input: ImportLine, type: DossierType) throws(ImportProblems) -> ValidatedImport {
        var problems = input.problems
        func problem(_ cell: ImportCell?, _ message: String) {
            problems.append(ImportProblem(line: input.line, column: cell?.column, message: message))
        }
        /// The cell's value; nil when empty or wrong (a wrong one is noted).
        func value(_ cell: ImportCell, _ spec: FieldSpec, required: String) -> FieldValue? {
            let text = cell.text.trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                if spec.required { problem(cell, "the required field '\(required)' is empty") }
                return nil
            }
            do { return try FieldValidation.value(Self.json(text, spec.type), for: spec, path: spec.name, today: today()) } catch GuichetError.invalid(let m) {
                // FieldValidation says "field 'NAME': expected ..."; the column says where.
                problem(cell, m.range(of: ": ").map { String(m[$0.upperBound...]) } ?? m)
            } catch {
                problem(cell, "this value cannot be read as the field's type")
            }
            return nil
        }
        var fields: [String: FieldValue] = [:]
        for spec in type.fields where !spec.system {
            guard let cell = input.fields[spec.name] else { continue }
            fields[spec.name] = value(cell, spec, required: spec.name)
        }
        var persons: [(role: String, values: [String: FieldValue])] = []
        for slot in input.persons {
            guard slot.fields.values.contains(where: { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }) else { continue }
            var values: [String: FieldValue] = [:]
            for spec in profile.personFields {
                guard let cell = slot.fields[spec.name] else { continue }
                values[spec.name] = value(cell, spec, required: "\(slot.role).\(spec.name)")
            }
            persons.append((slot.role, values))
        }
        for link in type.persons {
            let count = persons.filter { $0.role == link.role }.count
            guard (link.min...link.max).contains(count) else {
                let column = input.persons.first { $0.role == link.role }?.fields.values.map(\.column).sorted().first
                problems.append(ImportProblem(line: input.line, column: column,
                                              message: "a '\(type.name)' dossier links \(link.min) to \(link.max) '\(link.role)', this line gives \(count)"))
                continue
            }
        }
        if let spec = type.partners, !(spec.min...spec.max).contains(input.partners.count + input.unresolvedPartners) {
            problem(nil, "a '\(type.name)' dossier has \(spec.min) to \(spec.max) partners, this line gives \(input.partners.count + input.unresolvedPartners)")
        }
        if Set(input.partners.map(\.id)).count != input.partners.count { problem(nil, "a partner appears twice") }
        var status = type.workflow.initial
        if let cell = input.status, !cell.text.trimmingCharacters(in: .whitespaces).isEmpty {
            status = cell.text.trimmingCharacters(in: .whitespaces)
            if !type.workflow.states.contains(status) {
                problem(cell, "expected a state of the workflow: \(type.workflow.states.joined(separator: ", "))")
            }
        }
        /// The cell's day (nil when empty); `.none` inside when it is not a date (noted).
        func day(_ cell: ImportCell?) -> Date?? {
            guard let cell, !cell.text.trimmingCharacters(in: .whitespaces).isEmpty else { return .some(nil) }
            guard let day = LocalDate(iso: cell.text.trimmingCharacters(in: .whitespaces)),
                  let date = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                                            year: day.year, month: day.month, day: day.day).date else {
                problem(cell, "expected a date as YYYY-MM-DD")
                return nil
            }
            return .some(date)
        }
        let createdAt = day(input.createdAt), updatedAt = day(input.updatedAt)
        if case .some(let updated?) = updatedAt {
            if case .some(let created?) = createdAt, updated < created {
                problem(input.updatedAt, "the day of the last change is before the day the dossier began")
            }
            if updated > clock() { problem(input.updatedAt, "the day of the last change is in the future") }
        }
        guard problems.isEmpty, case .some(let created) = createdAt, case .some(let updated) = updatedAt else { throw ImportProblems(problems) }
        return ValidatedImport(line: input.line, type: type, status: status, createdAt: created, updatedAt: updated, organisation: input.organisation,
                               partners: input.partners, fields: fields, persons: persons)
    }

    /// A cell as the JSON value the API would receive for a field of this type.
    static func json(_ text: String, _ type: FieldType) -> JSON {
        switch type {
        case .integer: return Int(text).map { .number(Double($0)) } ?? .string(text)
        case .boolean:
            switch text.lowercased() {
            case "true", "1", "yes", "oui", "vrai": return .bool(true)
            case "false", "0", "no", "non", "faux": return .bool(false)
            default: return .string(text)
            }
        default: return .string(text)
        }
    }

    /// Seals the lines (a data key per dossier and per person, every field encrypted, blind
    /// indexes), journals one `create` entry per dossier naming the fields written (reason
    /// `import:RUN`, no account: the operator at the console), then stores the dossiers and
    /// `run` (where the import then stands) in one transaction. No entry, no data: when the
    /// journal cannot be written nothing is stored. An entry whose batch did not commit (a
    /// crash between the two) names ids that exist nowhere; the resumed batch gets new ones.
    /// - Throws: ``GuichetError/unavailable(_:)`` when the journal or a key fails; a store error.
    public func importBatch(_ lines: [ValidatedImport], run: ImportRun, requestID: String) async throws {
        try await storeImport(try await sealImport(lines, runID: run.id), run: run, requestID: requestID)
    }

    /// Seals the lines of a batch on ``WorkPool/sealing`` (one part per thread, never on the
    /// caller's thread), journalling and storing nothing: ``storeImport(_:run:requestID:)``
    /// does that. The importer seals the next batch while the previous one is being stored.
    /// - Throws: ``GuichetError/unavailable(_:)`` when a key fails.
    public func sealImport(_ lines: [ValidatedImport], runID: String) async throws -> SealedImport {
        let now = clock()
        let pool = WorkPool.sealing
        // Parts of at least 64 lines: smaller ones cost more in hand-offs than they save.
        let parts = max(1, min(pool.width, lines.count / 64))
        let size = (lines.count + parts - 1) / max(parts, 1)
        let sealed = try await withThrowingTaskGroup(of: (Int, SealedImport).self) { group in
            for part in 0..<parts {
                let slice = lines[min(lines.count, part * size)..<min(lines.count, (part + 1) * size)]
                group.addTask { (part, try await pool.run { try self.seal(slice, runID: runID, now: now) }) }
            }
            var out = [SealedImport?](repeating: nil, count: parts)
            for try await (part, s) in group { out[part] = s }
            return out.compactMap { $0 }
        }
        return SealedImport(items: sealed.flatMap(\.items), accesses: sealed.flatMap(\.accesses), at: now)
    }

    func seal(_ lines: ArraySlice<ValidatedImport>, runID: String, now: Date) throws -> SealedImport {
        var items: [(DossierRecord, [NewPerson])] = []
        var accesses: [AllowedAccess] = []
        items.reserveCapacity(lines.count)
        accesses.reserveCapacity(lines.count)
        let keys = try sealing { try vault.subjectKeys() }
        for line in lines {
            var links: [PersonLink] = []
            var newPersons: [NewPerson] = []
            var written = line.fields.keys.sorted()
            for p in line.persons {
                let person = try newPerson(p.values, keys: keys)
                links.append(PersonLink(role: p.role, person: person.record.id))
                newPersons.append(person)
                written += p.values.keys.sorted().map { "\(p.role).\($0)" }
            }
            if !line.partners.isEmpty { written.append("partners") }
            let id = DossierID()
            let (key, wrapped) = try sealing { try keys.new(subject: id.rawValue) }
            let sealed = try sealing { try vault.seal(line.fields, subject: id.rawValue, key: key, dossierType: line.type.name) }
            let created = line.createdAt ?? line.updatedAt ?? now
            let record = DossierRecord(id: id, type: line.type.name, status: line.status, organisation: line.organisation?.id,
                                       assignedAgent: nil, territory: line.organisation?.territory ?? line.partners.first?.territory,
                                       version: 1, fields: sealed, persons: links, partners: line.partners.map(\.id),
                                       createdAt: created, updatedAt: line.updatedAt ?? now, key: wrapped)
            items.append((record, newPersons))
            accesses.append(AllowedAccess(dossier: id, rules: ["import:\(runID)"], breakGlass: false, persons: links.map(\.person),
                                          fields: Array(Set(written)).sorted()))
        }
        return SealedImport(items: items, accesses: accesses, at: now)
    }

    /// Journals the sealed batch (one `create` entry per dossier), then stores it with `run`
    /// in one transaction: see ``importBatch(_:run:requestID:)``.
    /// - Throws: ``GuichetError/unavailable(_:)`` when the journal fails (nothing is stored then); a store error.
    public func storeImport(_ batch: SealedImport, run: ImportRun, requestID: String) async throws {
        defer { changes.bump() }
        let context = AccessContext(requestID: requestID, subject: nil, session: nil, source: nil, purpose: nil, at: batch.at)
        do { try await journal.recordWrite(batch.accesses, action: .create, context: context) } catch {
            logger.error("journal append failed: import batch refused", metadata: ["request": .string(requestID)])
            throw GuichetError.unavailable("the import could not be recorded in the journal, so this batch was not stored")
        }
        try await store.importBatch(batch.items, by: nil, run: run)
    }
}

/// A batch of import lines sealed by ``Gate/sealImport(_:runID:)``: dossiers and persons with
/// their data keys, and the journal entries to write before they are stored. Only the gate
/// makes one; nothing in it is in clear.
public struct SealedImport: Sendable {
    let items: [(DossierRecord, [NewPerson])]
    let accesses: [AllowedAccess]
    let at: Date
    /// How many dossiers the batch stores.
    public var dossiers: Int { items.count }
}
