import Yams

/// A position in a parsed YAML document that knows its key path and line, so that every
/// error can say where it is.
struct YAMLCursor {
    let node: Node
    let path: String
    let file: String

    func fail(_ message: String) -> ProfileError {
        ProfileError(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, key: path, message: message)
    }

    func child(_ key: String, _ node: Node) -> YAMLCursor {
        YAMLCursor(node: node, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// The mapping's entries in document order; refuses keys outside `allowed` (when given).
    func mapping(allowed: Set<String>? = nil) throws -> [(String, YAMLCursor)] {
        guard case .mapping(let m) = node else { throw fail("expected a mapping") }
        var seen = Set<String>()
        var out: [(String, YAMLCursor)] = []
        for (k, v) in m {
            guard let key = k.string else { throw fail("keys must be text") }
            let c = child(key, v)
            if let allowed, !allowed.contains(key) {
                throw YAMLCursor(node: k, path: c.path, file: file)
                    .fail("unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw c.fail("duplicate key") }
            out.append((key, c))
        }
        return out
    }

    func dictionary(allowed: Set<String>? = nil) throws -> [String: YAMLCursor] {
        Dictionary(uniqueKeysWithValues: try mapping(allowed: allowed))
    }

    func string() throws -> String {
        guard case .scalar(let s) = node else { throw fail("expected text") }
        return s.string
    }

    func int() throws -> Int {
        guard case .scalar = node, let i = node.int else { throw fail("expected a whole number") }
        return i
    }

    func bool() throws -> Bool {
        guard case .scalar = node, let b = node.bool else { throw fail("expected true or false") }
        return b
    }

    /// A sequence of text; a single scalar is accepted as a one-element list.
    func strings() throws -> [String] {
        switch node {
        case .scalar(let s): return [s.string]
        case .sequence(let seq):
            return try seq.enumerated().map { try child("[\($0.offset)]", $0.element).string() }
        default: throw fail("expected a list of text")
        }
    }

    func sequence() throws -> [YAMLCursor] {
        guard case .sequence(let seq) = node else { throw fail("expected a list") }
        return seq.enumerated().map { child("[\($0.offset)]", $0.element) }
    }
}

extension Dictionary where Key == String, Value == YAMLCursor {
    func required(_ key: String, in parent: YAMLCursor) throws -> YAMLCursor {
        guard let c = self[key] else { throw parent.fail("missing required key '\(key)'") }
        return c
    }
}
