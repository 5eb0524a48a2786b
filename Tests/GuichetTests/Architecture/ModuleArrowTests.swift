import Foundation
import Testing

/// The module arrows of `../shared/DESIGN.md`, checked on the sources:
/// Server/CLI → Gate → Policy, Watch, Ledger, Vault → Store → Core; the middle ones are
/// siblings that never import one another. A module may import a module of a lower layer;
/// never a sibling, never one above. Foundation, the toolchain and third-party packages are
/// not in the table (Package.swift and the compiler check those).
@Suite("Module arrows")
struct ModuleArrowTests {
    /// For each module (its folder under Sources/), the Guichet modules it may import.
    static let allowed: [String: Set<String>] = [
        // Layer 0: the model, and leaves that know nothing of Guichet.
        "GuichetCore": [],
        "GuichetMerkle": [],  // leaf: RFC 9162 hashing, proofs, signed notes
        "GuichetMFA": [],  // leaf: TOTP, WebAuthn
        "GuichetMail": [],  // leaf: SMTP client
        // Leaf over the model: OpenID Connect relying party (discovery, JWKS, ID tokens; jwt-kit).
        "GuichetOIDC": ["GuichetCore"],
        // Layer 1: storage, and the profile reader (a helper over the model).
        "GuichetStore": ["GuichetCore"],
        "GuichetProfile": ["GuichetCore"],
        // Layer 2: the gate's parts, siblings that never import one another.
        "GuichetPolicy": ["GuichetCore"],
        "GuichetWatch": ["GuichetCore", "GuichetStore"],
        "GuichetLedger": ["GuichetCore", "GuichetStore", "GuichetMerkle"],
        "GuichetVault": ["GuichetCore", "GuichetStore"],
        "GuichetAuth": ["GuichetCore", "GuichetStore", "GuichetMFA", "GuichetMail"],
        // A helper beside them: synthetic registries, sealed through the vault (it never opens).
        "GuichetSynth": ["GuichetCore", "GuichetStore", "GuichetVault"],
        // Layer 3: the one door.
        "GuichetGate": ["GuichetCore", "GuichetStore", "GuichetPolicy", "GuichetWatch", "GuichetLedger", "GuichetVault",
                        "GuichetAuth", "GuichetMerkle", "GuichetMFA", "GuichetMail"],
        // Layer 4: above the gate. Never the vault: personal data reaches them only as the gate's views.
        // The import of an existing registry: CSV lines through the gate's validation and write path.
        "GuichetImport": ["GuichetCore", "GuichetStore", "GuichetGate"],
        "GuichetBreach": ["GuichetCore", "GuichetStore", "GuichetLedger", "GuichetMerkle", "GuichetMail", "GuichetGate"],
        "GuichetServer": ["GuichetCore", "GuichetStore", "GuichetPolicy", "GuichetWatch", "GuichetLedger", "GuichetAuth",
                          "GuichetMerkle", "GuichetMFA", "GuichetMail", "GuichetGate", "GuichetBreach", "GuichetOIDC"],
        // A storage back-end (PostgreSQL): it implements the storage protocols that the parts
        // own (the ledger's, the gate's, the authenticator's, the watch's, the breach
        // register's, the import's and the server's), so it sits above all of them and below
        // nothing but what opens it; none of those parts imports it (dependency inversion: they
        // name only their protocol).
        "GuichetPostgres": ["GuichetCore", "GuichetStore", "GuichetLedger", "GuichetMerkle", "GuichetWatch", "GuichetAuth",
                            "GuichetGate", "GuichetBreach", "GuichetImport", "GuichetServer"],
        // Layer 5: a data folder opened as the command line opens it, and the demo registries
        // (the generators seal through the vault; it opens nothing but through the gate). It
        // picks the back-end (SQLite or PostgreSQL) and hands it to the server.
        "GuichetDeployment": ["GuichetCore", "GuichetStore", "GuichetProfile", "GuichetPolicy", "GuichetVault", "GuichetAuth", "GuichetSynth",
                              "GuichetMFA", "GuichetMail", "GuichetWatch", "GuichetGate", "GuichetServer", "GuichetOIDC", "GuichetPostgres",
                              "GuichetImport", "GuichetLedger"],
        // The command line: argument parsing and printing over the library modules; never the
        // vault (key files are the deployment's and the registry's business). The PostgreSQL
        // back-end for `guichet store copy`, which copies a data folder's registry into it.
        "guichet": ["GuichetCore", "GuichetStore", "GuichetProfile", "GuichetPolicy", "GuichetWatch", "GuichetLedger",
                    "GuichetAuth", "GuichetMerkle", "GuichetMFA", "GuichetMail", "GuichetGate",
                    "GuichetBreach", "GuichetServer", "GuichetSimulation", "GuichetDeployment", "GuichetImport", "GuichetPostgres"],
        // The simulator: normal work and attackers through the real gate (it builds registries
        // with the generators and keys through the vault, as the benchmark does).
        "GuichetSimulation": ["GuichetCore", "GuichetStore", "GuichetAuth", "GuichetGate", "GuichetVault", "GuichetSynth",
                              "GuichetMFA", "GuichetWatch"],
        // The benchmark: everything (its insecure paths are marked by its SPI imports, see GateOnlyTests).
        "GuichetBench": ["GuichetCore", "GuichetStore", "GuichetProfile", "GuichetPolicy", "GuichetWatch", "GuichetLedger",
                         "GuichetVault", "GuichetAuth", "GuichetSynth", "GuichetMerkle", "GuichetMFA", "GuichetMail",
                         "GuichetGate", "GuichetBreach", "GuichetServer", "GuichetImport", "GuichetPostgres"],
    ]

    static let guichetModules = Set(allowed.keys.filter { $0.hasPrefix("Guichet") && $0 != "GuichetBench" })

    @Test("every module under Sources/ has a row in the table, and the table names no missing module")
    func tableCoversSources() {
        #expect(Set(SourceScan.targetFolders.keys) == Set(Self.allowed.keys))
    }

    @Test("no module imports a Guichet module that the design's arrows forbid (siblings, or upwards)")
    func importsFollowTheArrows() throws {
        var violations: [String] = []
        for (module, allowed) in Self.allowed {
            for i in try SourceScan.imports(target: module) where Self.guichetModules.contains(i.module) || i.module == "guichet" {
                if i.module != module && !allowed.contains(i.module) { violations.append("\(i) (\(module) may not import \(i.module))") }
            }
        }
        #expect(violations.isEmpty, "\(violations.sorted().joined(separator: "\n"))")
    }

    @Test("the four parts of the gate are siblings: Policy, Watch, Ledger and Vault import none of one another")
    func siblingsStayApart() {
        let siblings: Set<String> = ["GuichetPolicy", "GuichetWatch", "GuichetLedger", "GuichetVault", "GuichetAuth"]
        for s in siblings { #expect(Self.allowed[s, default: []].isDisjoint(with: siblings), "\(s)") }
        for (module, allowed) in Self.allowed where module != "guichet" && module != "GuichetBench" {
            // The PostgreSQL back-end imports the gate for its storage protocol only.
            #expect(!allowed.contains("GuichetGate") || ["GuichetServer", "GuichetBreach", "GuichetSimulation", "GuichetDeployment", "GuichetImport",
                                                         "GuichetPostgres"].contains(module), "\(module) imports the gate")
        }
    }

    @Test("every Guichet module a target imports is declared for it in Package.swift, and the declarations follow the table")
    func importsAreDeclared() throws {
        let declared = try PackageManifest.guichetDependencies()
        var problems: [String] = []
        for (folder, allowed) in Self.allowed {
            guard let deps = declared[folder] else { problems.append("Package.swift: no target for Sources/\(folder)"); continue }
            for i in try SourceScan.imports(target: folder) where Self.guichetModules.contains(i.module) && i.module != folder {
                if !deps.contains(i.module) { problems.append("\(i): not declared for \(folder) in Package.swift") }
            }
            for d in deps where !allowed.contains(d) { problems.append("Package.swift: \(folder) depends on \(d), which the design forbids") }
        }
        #expect(problems.isEmpty, "\(problems.sorted().joined(separator: "\n"))")
    }
}

/// The Guichet dependencies of each target in Package.swift, by source folder.
enum PackageManifest {
    static func guichetDependencies() throws -> [String: Set<String>] {
        let text = try String(contentsOf: Repo.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var out: [String: Set<String>] = [:]
        // `.target(name: "X", dependencies: [ ... ], path: "...", ...)`, up to the next target.
        let starts = text.ranges(of: #/\.(?:target|executableTarget|testTarget)\(name: "/#)
        for (n, start) in starts.enumerated() where !text[start].hasPrefix(".testTarget") {
            let end = n + 1 < starts.count ? starts[n + 1].lowerBound : text.endIndex
            let body = text[start.upperBound..<end]
            guard let name = body.prefixMatch(of: #/([^"]+)"/#)?.1 else { continue }
            let folder = body.firstMatch(of: #/path: "Sources/([^"]+)"/#).map { String($0.1) } ?? String(name)
            let deps = body.matches(of: #/"(Guichet[A-Za-z]+)"/#).map { String($0.1) }.filter { $0 != String(name) }
            out[folder] = Set(deps)
        }
        return out
    }
}
