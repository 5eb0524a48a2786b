public import GuichetCore
import Foundation
import Yams

/// Reads a profile's policy table (`profiles/NAME/policy-tests.yaml`):
/// ```yaml
/// tests:
///   - name: a partner adviser reads their own caseload, minimal view
///     role: partner-adviser
///     relations: [assigned]         # assigned, organisation, partner, territory, linked-person:ROLE
///     action: read
///     dossier: job-seeker
///     state: registered
///     purpose: support              # optional
///     expect: allow                 # allow or deny
///     fields: [category, job-seeker.firstName]   # optional: exactly these (patterns allowed)
///     without: [job-seeker.nir]     # optional: never these
///     reason: explicit-deny         # optional, with deny
/// ```
public enum PolicyTestLoader {
    /// The file name inside a profile folder.
    public static let fileName = "policy-tests.yaml"

    /// Loads and checks the table against the profile (roles, types, states, actions, purposes).
    /// - Throws: ``ProfileError`` naming the line of the bad row.
    public static func load(path: String, profile: Profile) throws -> [PolicyTestCase] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ProfileError(file: path, line: 0, column: 0, key: "", message: "cannot read the file")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ProfileError(file: path, line: 0, column: 0, key: "", message: "the file is empty") }
            root = node
        } catch let e as ProfileError { throw e } catch let e as YamlError {
            throw ProfileError(file: path, line: e.line, column: e.column, key: "", message: "not valid YAML: \(e.problem)")
        } catch { throw ProfileError(file: path, line: 0, column: 0, key: "", message: "not valid YAML") }
        let top = YAMLCursor(node: root, path: "", file: path)
        let d = try top.dictionary(allowed: ["tests"])
        let name = (path as NSString).lastPathComponent
        return try d.required("tests", in: top).sequence().map { try row($0, profile: profile, file: name) }
    }

    static func row(_ c: YAMLCursor, profile: Profile, file: String) throws -> PolicyTestCase {
        let d = try c.dictionary(allowed: ["name", "role", "relations", "action", "dossier", "state", "purpose", "expect", "fields", "without", "reason"])
        let role = try d.required("role", in: c).string()
        guard profile.roles[role] != nil else { throw d["role"]!.fail("unknown role '\(role)'") }
        var links = Set<PolicyTestCase.Link>()
        for text in try d["relations"]?.strings() ?? [] {
            guard let link = PolicyTestCase.Link(text) else {
                throw d["relations"]!.fail("unknown relation '\(text)' (expected assigned, organisation, partner, territory or linked-person:ROLE)")
            }
            links.insert(link)
        }
        let actionCursor = try d.required("action", in: c)
        guard let action = Action(try actionCursor.string()) else { throw actionCursor.fail("unknown action") }
        let typeName = try d.required("dossier", in: c).string()
        guard let type = profile.dossierTypes[typeName] else { throw d["dossier"]!.fail("unknown dossier type '\(typeName)'") }
        let state = try d["state"]?.string() ?? type.workflow.initial
        guard type.workflow.states.contains(state) else { throw d["state"]!.fail("'\(state)' is not a state of '\(typeName)'") }
        let purpose = try d["purpose"]?.string()
        if let purpose, !profile.purposes.contains(purpose) { throw d["purpose"]!.fail("unknown purpose '\(purpose)'") }
        let expectCursor = try d.required("expect", in: c)
        let expected: PolicyTestCase.Expected
        switch try expectCursor.string() {
        case "allow":
            if d["reason"] != nil { throw d["reason"]!.fail("'reason' goes with expect: deny") }
            let paths = profile.fieldPaths(of: type)
            let fields = try d["fields"].map { f in
                let patterns = try f.strings()
                for p in patterns where !paths.contains(where: { FieldSelector([p]).matches($0) }) { throw f.fail("'\(p)' matches no field of '\(typeName)'") }
                return FieldSelector(patterns)
            }
            let without = try d["without"]?.strings() ?? []
            for p in without where !paths.contains(p) { throw d["without"]!.fail("'\(p)' is not a field path of '\(typeName)'") }
            expected = .allow(fields: fields, without: without)
        case "deny":
            if d["fields"] != nil || d["without"] != nil { throw c.fail("'fields' and 'without' go with expect: allow") }
            let reason = try d["reason"]?.string()
            if let reason, !["no-rule", "explicit-deny", "purpose-not-allowed"].contains(reason) {
                throw d["reason"]!.fail("unknown reason (expected no-rule, explicit-deny or purpose-not-allowed)")
            }
            expected = .deny(reason: reason)
        default: throw expectCursor.fail("expected allow or deny")
        }
        let name = try d["name"]?.string() ?? "\(role) \(action) \(typeName)"
        return PolicyTestCase(location: "\(file):\(c.node.mark?.line ?? 0)", name: name, role: role, links: links, action: action,
                              dossierType: typeName, state: state, purpose: purpose, expected: expected)
    }
}
