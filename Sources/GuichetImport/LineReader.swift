import Foundation
import GuichetCore
import GuichetGate
import GuichetStore

/// The organisations of the registry by name (and by id), to find the owner and partners a
/// line names. Organisations are few (thousands at most): they are loaded once.
struct OrganisationIndex: Sendable {
    /// Name or id → the organisations that answer to it (more than one: ambiguous).
    let byKey: [String: [Organisation]]

    init(store: any ImportStorage) async throws {
        var index: [String: [Organisation]] = [:]
        for o in try await store.organisations(kind: nil) {
            index[o.name.trimmingCharacters(in: .whitespaces).lowercased(), default: []].append(o)
            index[o.id.rawValue.lowercased(), default: []].append(o)
        }
        byKey = index
    }

    /// The one organisation of this kind (any kind when nil) with this name or id.
    func find(_ text: String, kind: String?, line: Int, column: String) throws(ImportProblem) -> Organisation {
        let found = (byKey[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? []).filter { kind == nil || $0.kind == kind }
        guard found.count == 1 else {
            let what = kind.map { "organisation of kind '\($0)'" } ?? "organisation"
            throw ImportProblem(line: line, column: column,
                                message: found.isEmpty ? "no \(what) has this name or id" : "\(found.count) \(what)s have this name: use their id")
        }
        return found[0]
    }
}

/// Turns a CSV record into an ``ImportLine`` by the mapping.
struct LineReader: Sendable {
    let mapping: ImportMapping
    /// For each column of the file, its target.
    let targets: [(header: String, target: ImportMapping.Target)]
    let organisations: OrganisationIndex
    let partnerKind: String?

    init(mapping: ImportMapping, header: [String], organisations: OrganisationIndex, type: DossierType) {
        self.mapping = mapping
        let byHeader = Dictionary(mapping.columns.map { ($0.header, $0.target) }) { a, _ in a }
        // readHeader checked that every column of the file is mapped.
        targets = header.map { ($0, byHeader[$0] ?? .ignore) }
        self.organisations = organisations
        partnerKind = type.partners?.organisationKind
    }

    /// An organisation no name matches is noted in the line's `problems`, for the gate to
    /// report with the rest of the line's.
    /// - Throws: ``ImportProblems`` when the record is malformed or has another number of cells
    ///   than the header.
    func line(_ record: CSVRecord) throws(ImportProblems) -> ImportLine {
        if let p = record.problem { throw ImportProblems([ImportProblem(line: record.line, column: nil, message: p)]) }
        guard record.fields.count == targets.count else {
            throw ImportProblems([ImportProblem(line: record.line, column: nil, message: "\(record.fields.count) cells where the header has \(targets.count) columns")])
        }
        var out = ImportLine(line: record.line)
        func find(_ text: String, kind: String?, column: String) -> Organisation? {
            do { return try organisations.find(text, kind: kind, line: record.line, column: column) } catch {
                out.problems.append(error)
                return nil
            }
        }
        var slots: [String: Int] = [:]
        for (i, text) in record.fields.enumerated() {
            let (header, target) = targets[i]
            let cell = ImportCell(column: header, text: text)
            switch target {
            case .ignore: continue
            case .dossierField(let f): out.fields[f] = cell
            case .status: out.status = cell
            case .createdAt: out.createdAt = cell
            case .updatedAt: out.updatedAt = cell
            case .organisation:
                if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                    out.organisation = find(text, kind: nil, column: header)
                }
            case .partner:
                if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                    if let found = find(text, kind: partnerKind, column: header) { out.partners.append(found) } else { out.unresolvedPartners += 1 }
                }
            case .personField(let role, let index, let field):
                let key = "\(role)[\(index)]"
                if let at = slots[key] { out.persons[at].fields[field] = cell } else {
                    slots[key] = out.persons.count
                    out.persons.append((role, index, [field: cell]))
                }
            }
        }
        return out
    }
}
