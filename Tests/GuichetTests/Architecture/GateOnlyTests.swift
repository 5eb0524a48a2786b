import Foundation
import Testing

/// Only the gate can turn a decision into a journal entry into opened fields, and the compiler
/// says so: deciding (`Policy.decide`), journalling an access (`AccessJournal.record…`, which
/// mints the receipt), opening sealed fields (`Vault.open`) and the gate's journal are
/// `@_spi(GateOnly)`, invisible to a file that does not import them under that name. These
/// tests make sure no file outside the allowed modules does.
@Suite("Gate-only paths")
struct GateOnlyTests {
    /// Each SPI group of the package, the modules that declare it, and the only modules whose
    /// sources may import it. The benchmark's imports are its insecure paths, labelled.
    static let spis: [String: (declaredIn: Set<String>, importedBy: Set<String>)] = [
        // The path from a decision to a journal entry to opened fields.
        "GateOnly": (["GuichetPolicy", "GuichetLedger", "GuichetVault", "GuichetGate"], ["GuichetGate", "GuichetBench"]),
        // The stored bytes of sealed fields: the vault's to seal and open; a storage back-end's
        // (PostgreSQL) to store and return as they are, as SQLite's store does (it holds no key).
        "VaultOnly": (["GuichetStore"], ["GuichetVault", "GuichetBench", "GuichetPostgres"]),
        // Writing the ledger's tables: the ledger's storage protocol and its two back-ends.
        "LedgerOnly": (["GuichetStore", "GuichetLedger", "GuichetPostgres"], ["GuichetLedger", "GuichetPostgres"]),
        // Raw rows of SQLite's store, as stored (sealed, wrapped): read only by the copy of a whole
        // registry into the PostgreSQL back-end (`guichet store copy`).
        "StoreCopy": (["GuichetStore"], ["GuichetPostgres"]),
        // Binding rows through SQLite's own interface (`RawStatement`): the benchmark's
        // plaintext import writes its rows as the store writes an import's, so that the
        // comparison measures encryption (issue 18).
        "Bench": (["GuichetStore"], ["GuichetBench"]),
    ]

    @Test("no file outside the gate (and the benchmark's labelled baseline) imports the gate's SPI or the storage SPIs")
    func spiImportsStayWhereTheyBelong() throws {
        var violations: [String] = []
        for (module, _) in SourceScan.targetFolders {
            for i in try SourceScan.imports(target: module) {
                for spi in i.spis {
                    guard let rule = Self.spis[spi] else { violations.append("\(i): unknown SPI '\(spi)' (add it to GateOnlyTests)"); continue }
                    if !rule.importedBy.contains(module) { violations.append("\(i): \(module) may not import @_spi(\(spi))") }
                    if !rule.declaredIn.contains(i.module) { violations.append("\(i): \(i.module) declares no @_spi(\(spi))") }
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.sorted().joined(separator: "\n"))")
    }

    @Test("an SPI group is declared only by its modules, so no other module can hand out a gate-only path")
    func spiDeclarationsStayWhereTheyBelong() throws {
        var violations: [String] = []
        let spiAttribute = #/@_spi\(([A-Za-z]+)\)/#
        for (module, folder) in SourceScan.targetFolders {
            for file in SourceScan.swiftFiles(under: folder) {
                let text = try String(contentsOf: Repo.root.appendingPathComponent(file), encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    guard !code.hasPrefix("//"), code.contains("@_spi"), let m = code.firstMatch(of: spiAttribute) else { continue }
                    if (try SourceScan.importLine.prefixMatch(in: line)) != nil { continue }
                    let spi = String(m.1)
                    if !(Self.spis[spi]?.declaredIn.contains(module) ?? false) {
                        violations.append("\(file):\(n + 1): \(module) declares @_spi(\(spi))")
                    }
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.sorted().joined(separator: "\n"))")
    }

    @Test("no source file imports a module @testable, and none uses `package` access (which every module of the package sees)")
    func noBackDoors() throws {
        var violations: [String] = []
        let packageDeclaration = #/^\s*(?:@\S+\s+)*package\s+(?:static\s+|final\s+)*(?:let|var|func|init|struct|class|enum|actor|protocol|typealias|subscript)\b/#
        for (_, folder) in SourceScan.targetFolders {
            for file in SourceScan.swiftFiles(under: folder) {
                for i in try SourceScan.imports(file: file) where i.attributes.contains("@testable") { violations.append("\(i)") }
                let text = try String(contentsOf: Repo.root.appendingPathComponent(file), encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.contains("package") && line.contains(packageDeclaration) {
                    violations.append("\(file):\(n + 1): package access")
                }
            }
        }
        #expect(violations.isEmpty, "\(violations.sorted().joined(separator: "\n"))")
    }
}
