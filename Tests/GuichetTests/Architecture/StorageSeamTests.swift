import Foundation
import Testing

/// Issue #19, item 1: the parts that use a database (gate, authenticator, watch, breach) hold
/// a storage protocol of their own, never SQLite's `Store`, so that a second back-end plugs in
/// under them without a change above. Only the protocol files (where `Store` conforms) and
/// the registry that opens the database (and backs it up) name `Store`, and the gate's
/// initialiser, which still builds the journal and its auditor from it.
@Suite struct StorageSeamTests {
    static let modules = ["GuichetGate", "GuichetAuth", "GuichetWatch", "GuichetBreach"]
    static let allowed = ["Storage.swift", "Sources/GuichetGate/Registry", "Sources/GuichetGate/Gate.swift"]

    /// Whether a line of code names the type `Store` (not `StoreError`, not `.store`, not a
    /// comment line).
    static func namesStore(_ whole: Substring) -> Bool {
        let line = whole.range(of: "//").map { whole[..<$0.lowerBound] } ?? whole
        func identifier(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber || $0 == "_" } ?? false }
        for r in line.ranges(of: "Store") {
            let before = r.lowerBound > line.startIndex ? line[line.index(before: r.lowerBound)] : nil
            let after = r.upperBound < line.endIndex ? line[r.upperBound] : nil
            if !identifier(before) && before != "." && !identifier(after) { return true }
        }
        return false
    }

    @Test("outside the storage protocols and the registry, the gate, authenticator, watch and breach modules never name SQLite's Store")
    func noConcreteStore() throws {
        #expect(Self.namesStore("    let store: Store") && !Self.namesStore("    let store: any GateStorage // Store") && !Self.namesStore("throw StoreError.notFound"),
                "the scan recognises the type's name")
        var scanned = 0
        for module in Self.modules {
            for file in SourceScan.swiftFiles(under: Repo.root.appendingPathComponent("Sources/\(module)").path)
            where !Self.allowed.contains(where: { file.hasSuffix($0) || file.hasPrefix($0) }) {
                scanned += 1
                let lines = try String(contentsOfFile: Repo.root.appendingPathComponent(file).path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                for (n, line) in lines.enumerated() {
                    #expect(!Self.namesStore(line), "\(file):\(n + 1) names Store: \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(scanned > 40, "the scan read the modules' files (\(scanned))")
    }

    @Test("Gate.swift names Store only in its initialiser")
    func gateInitOnly() throws {
        let text = try String(contentsOfFile: Repo.root.appendingPathComponent("Sources/GuichetGate/Gate.swift").path, encoding: .utf8)
        let naming = text.split(separator: "\n").filter(Self.namesStore)
        #expect(naming.count == 1 && naming.allSatisfy { $0.contains("init(") }, "\(naming)")
    }
}
