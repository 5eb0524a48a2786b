public import GuichetCore
import Foundation
import Yams

/// Reads an import mapping file (`guichet import --mapping`) and checks it against the profile:
/// a mapping that names an unknown field, leaves a required field without a column or maps
/// two columns to one field is refused whole with `file:line:column: key: message`.
///
/// ```yaml
/// profile: place05            # optional: refused with another profile
/// dossier: application        # the dossier type each line creates
/// delimiter: ";"               # optional: ',' (default), ';', '|' or a tab
/// columns:                    # every column of the file, header: target
///   DATE_DEMANDE: dossier.createdAt
///   STATUT: dossier.status
///   SERVICE_1: dossier.partner
///   DATE_SOUHAITEE: desiredStart
///   ENFANT_NOM: child.lastName
///   PARENT2_NOM: parent[2].lastName
///   NO_DOSSIER: ignore
/// ```
public enum MappingLoader {
    /// Loads the mapping at `path`.
    /// - Throws: ``ProfileError``.
    public static func load(path: String, profile: Profile) throws -> ImportMapping {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfileError(file: path, line: 0, column: 0, key: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProfileError(file: path, line: 0, column: 0, key: "", message: "the file is not UTF-8 text")
        }
        return try parse(yaml: text, file: path, profile: profile)
    }

    /// Parses mapping text; `file` is only used in error messages.
    /// - Throws: ``ProfileError``.
    public static func parse(yaml: String, file: String, profile: Profile) throws -> ImportMapping {
        let root = try ProfileLoader.document(yaml: yaml, file: file)
        let top = YAMLCursor(node: root, path: "", file: file)
        let keys = try top.dictionary(allowed: ["profile", "dossier", "delimiter", "columns"])
        var delimiter = UInt8(ascii: ",")
        if let d = keys["delimiter"] {
            let text = try d.string()
            guard [",", ";", "\t", "|"].contains(text), let byte = text.utf8.first else {
                throw d.fail("the delimiter is one of: ',' ';' '|' or a tab")
            }
            delimiter = byte
        }
        if let p = keys["profile"] {
            let name = try p.string()
            if name != profile.name { throw p.fail("this mapping is for profile '\(name)', not '\(profile.name)'") }
        }
        let typeCursor = try keys.required("dossier", in: top)
        let typeName = try typeCursor.string()
        guard let type = profile.dossierTypes[typeName] else {
            throw typeCursor.fail("unknown dossier type (expected one of: \(profile.dossierTypes.keys.sorted().joined(separator: ", ")))")
        }
        let columnsCursor = try keys.required("columns", in: top)
        var columns: [ImportMapping.Column] = []
        for (header, c) in try columnsCursor.mapping() {
            guard !header.isEmpty else { throw c.fail("a column header is empty") }
            let target = try parseTarget(try c.string(), type: type, profile: profile, at: c)
            if target != .partner, target != .ignore, columns.contains(where: { $0.target == target }) {
                throw c.fail("'\(target)' already has a column")
            }
            columns.append(ImportMapping.Column(header: header, target: target))
        }
        guard !columns.isEmpty else { throw columnsCursor.fail("no column is mapped") }
        let partnerColumns = columns.filter { $0.target == .partner }.count
        if let spec = type.partners, partnerColumns > spec.max {
            throw columnsCursor.fail("\(partnerColumns) partner columns, but a '\(type.name)' dossier has at most \(spec.max) partners")
        }
        if let spec = type.partners, spec.min > 0, partnerColumns == 0 {
            throw columnsCursor.fail("a '\(type.name)' dossier needs at least \(spec.min) partner: map a column to dossier.partner")
        }
        let mapping = ImportMapping(dossierType: type.name, columns: columns, delimiter: delimiter)
        try checkRequired(mapping, type: type, profile: profile, at: columnsCursor)
        return mapping
    }

    /// `desiredStart`, `child.lastName`, `parent[2].email`, `dossier.status`, `ignore`.
    static func parseTarget(_ text: String, type: DossierType, profile: Profile, at c: YAMLCursor) throws -> ImportMapping.Target {
        switch text {
        case "ignore": return .ignore
        case "dossier.status": return .status
        case "dossier.createdAt": return .createdAt
        case "dossier.updatedAt": return .updatedAt
        case "dossier.organisation": return .organisation
        case "dossier.partner":
            guard type.partners != nil else { throw c.fail("a '\(type.name)' dossier takes no partners") }
            return .partner
        default: break
        }
        guard let dot = text.firstIndex(of: ".") else {
            guard let spec = type.field(text) else {
                throw c.fail("unknown target '\(text)' (dossier fields: \(type.fields.filter { !$0.system }.map(\.name).joined(separator: ", ")); "
                             + "person fields as ROLE.FIELD with roles \(type.persons.map(\.role).joined(separator: ", ")); "
                             + "dossier.status, dossier.createdAt, dossier.updatedAt, dossier.organisation, dossier.partner, ignore)")
            }
            guard !spec.system else { throw c.fail("'\(text)' is set by the workflow, not imported") }
            return .dossierField(text)
        }
        var role = String(text[..<dot])
        let field = String(text[text.index(after: dot)...])
        var index = 1
        if let open = role.firstIndex(of: "["), role.hasSuffix("]") {
            guard let i = Int(role[role.index(after: open)..<role.index(before: role.endIndex)]), i >= 1 else {
                throw c.fail("a person's number is written role[N] with N from 1")
            }
            index = i
            role = String(role[..<open])
        }
        guard let link = type.persons.first(where: { $0.role == role }) else {
            throw c.fail("unknown person role '\(role)' (expected one of: \(type.persons.map(\.role).joined(separator: ", ")))")
        }
        guard index <= link.max else { throw c.fail("a '\(type.name)' dossier links at most \(link.max) '\(role)'") }
        guard profile.personField(field) != nil else {
            throw c.fail("unknown person field '\(field)' (expected one of: \(profile.personFields.map(\.name).joined(separator: ", ")))")
        }
        return .personField(role: role, index: index, field: field)
    }

    /// Every required dossier field has a column, and so does every required person field of
    /// each person slot mapped and of each slot a dossier must have.
    static func checkRequired(_ m: ImportMapping, type: DossierType, profile: Profile, at c: YAMLCursor) throws {
        for spec in type.fields where spec.required && !spec.system && m.column(for: .dossierField(spec.name)) == nil {
            throw c.fail("the required field '\(spec.name)' has no column")
        }
        var slots = m.personSlots
        for link in type.persons where link.min > 0 {
            for i in 1...link.min where !slots.contains(where: { $0.role == link.role && $0.index == i }) { slots.append((link.role, i)) }
        }
        for slot in slots {
            if slot.index > 1, !slots.contains(where: { $0.role == slot.role && $0.index == slot.index - 1 }) {
                throw c.fail("'\(slot.role)[\(slot.index)]' is mapped but '\(slot.role)[\(slot.index - 1)]' is not")
            }
            for spec in profile.personFields where spec.required {
                let target = ImportMapping.Target.personField(role: slot.role, index: slot.index, field: spec.name)
                if m.column(for: target) == nil { throw c.fail("the required field '\(target)' has no column") }
            }
        }
    }
}
