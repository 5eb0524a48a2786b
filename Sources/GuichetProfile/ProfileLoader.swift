public import GuichetCore
import Foundation
import Yams

/// Reads and checks a profile file. A profile with an error is refused whole, with a
/// message naming the file, the line and key, and what is wrong.
public enum ProfileLoader {
    /// Loads the profile at `path` (a `profile.yaml` file, or a folder holding one).
    /// - Throws: ``ProfileError``.
    public static func load(path: String) throws -> Profile {
        var file = path
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            file = (path as NSString).appendingPathComponent("profile.yaml")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ProfileError(file: file, line: 0, column: 0, key: "", message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ProfileError(file: file, line: 0, column: 0, key: "", message: "the file is not UTF-8 text")
        }
        return try parse(yaml: text, file: file)
    }

    /// Parses profile text; `file` is only used in error messages.
    /// - Throws: ``ProfileError``.
    public static func parse(yaml: String, file: String) throws -> Profile {
        let root = try document(yaml: yaml, file: file)
        return try ProfileBuilder(root: YAMLCursor(node: root, path: "", file: file)).build()
    }

    /// The YAML document of a profile or mapping file, its errors given with line and column.
    /// - Throws: ``ProfileError``.
    static func document(yaml: String, file: String) throws -> Node {
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ProfileError(file: file, line: 0, column: 0, key: "", message: "the file is empty")
            }
            return node
        } catch let error as ProfileError {
            throw error
        } catch let error as YamlError {
            throw ProfileError(file: file, line: error.line, column: error.column, key: "", message: "not valid YAML: \(error.problem)")
        } catch {
            throw ProfileError(file: file, line: 0, column: 0, key: "", message: "not valid YAML")
        }
    }
}

extension YamlError {
    var line: Int {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return 0
        }
    }
    var column: Int {
        switch self {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.column
        default: return 0
        }
    }
    var problem: String {
        switch self {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "unreadable"
        }
    }
}
