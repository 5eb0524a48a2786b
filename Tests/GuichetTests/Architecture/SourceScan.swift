import Foundation

/// The Swift sources of the package, read as text, for the tests that check its shape
/// (module arrows, who may use the gate's SPI). Only lines that start a top-level `import` count.
enum SourceScan {
    /// One `import` line of a source file.
    struct Import: CustomStringConvertible {
        let file: String
        let line: Int
        /// The attributes before `import`, as written (`@_spi(GateOnly)`, `@testable`).
        let attributes: [String]
        let module: String
        var description: String { "\(file):\(line): \(attributes.joined(separator: " ")) import \(module)" }
        /// The SPI groups this import asks for.
        var spis: [String] {
            attributes.compactMap { a in
                guard a.hasPrefix("@_spi("), a.hasSuffix(")") else { return nil }
                return String(a.dropFirst(6).dropLast())
            }
        }
    }

    /// The folder of each target's sources, by target name (the test target excluded).
    static let targetFolders: [String: String] = {
        var out: [String: String] = [:]
        let sources = Repo.root.appendingPathComponent("Sources")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: sources.path)) ?? [] where !name.hasPrefix(".") {
            out[name] = sources.appendingPathComponent(name).path
        }
        return out
    }()

    /// Every `.swift` file under a folder, relative to the repository root.
    static func swiftFiles(under folder: String) -> [String] {
        let root = Repo.root.path + "/"
        guard let e = FileManager.default.enumerator(atPath: folder) else { return [] }
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
            .map { (folder + "/" + $0).replacingOccurrences(of: root, with: "") }
    }

    /// `@attr(...) @attr public import Module` (also `import struct Module.Type`). Built once: a
    /// regex literal is parsed again each time it is evaluated, and the scans read every line of
    /// every source file (that parsing was a fifth of the test suite's CPU).
    nonisolated(unsafe) static let importLine: Regex<(Substring, Substring, Substring)> = #/^\s*((?:@[A-Za-z_]+(?:\([^)]*\))?\s+)*)(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+(?:(?:struct|class|enum|protocol|typealias|func|let|var)\s+)?([A-Za-z_][A-Za-z0-9_]*)/#

    /// The imports of one file.
    static func imports(file: String) throws -> [Import] {
        let text = try String(contentsOf: Repo.root.appendingPathComponent(file), encoding: .utf8)
        var out: [Import] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // The word first: most lines do not hold it, and the regex is the slow part.
            guard line.contains("import"), let m = try importLine.prefixMatch(in: line) else { continue }
            let attributes = m.1.split(whereSeparator: \.isWhitespace).map(String.init)
            out.append(Import(file: file, line: n + 1, attributes: attributes, module: String(m.2)))
        }
        return out
    }

    /// Every import of every file of a target.
    static func imports(target: String) throws -> [Import] {
        guard let folder = targetFolders[target] else { return [] }
        return try swiftFiles(under: folder).flatMap { try imports(file: $0) }
    }
}
