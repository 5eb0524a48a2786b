import Foundation
import Testing

/// The compiler itself refuses, outside the gate, every step of the path from a decision to
/// opened fields: a small file that names them is type-checked against the modules this test
/// run was built from, as a module outside the gate would be compiled.
@Suite("The compiler refuses the gate's paths elsewhere")
struct CompilerRefusalTests {
    /// The built modules (`.build/<triple>/debug/Modules`) and the C module maps SwiftPM gave
    /// the compiler for this build (from its manifest, `.build/debug.yaml`), or nil when this
    /// run has no debug build beside the sources.
    static func compilerArguments() -> [String]? {
        let build = Repo.root.appendingPathComponent(".build")
        let fm = FileManager.default
        let candidates = ((try? fm.contentsOfDirectory(atPath: build.path)) ?? []).map {
            build.appendingPathComponent($0).appendingPathComponent("debug/Modules")
        } + [build.appendingPathComponent("debug/Modules")]
        let modules = candidates.filter { fm.fileExists(atPath: $0.appendingPathComponent("GuichetGate.swiftmodule").path) }
            .max { a, b in modified(a) < modified(b) }
        guard let modules, let manifest = try? String(contentsOf: build.appendingPathComponent("debug.yaml"), encoding: .utf8) else { return nil }
        let maps = Set(manifest.matches(of: #/-fmodule-map-file=[^"\s,\]]+/#).map { String($0.0) }).sorted()
        return ["-I", modules.path] + maps.flatMap { ["-Xcc", $0] }
    }

    static func modified(_ url: URL) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent("GuichetGate.swiftmodule").path))?[.modificationDate] as? Date)
            ?? .distantPast
    }

    /// Type-checks `source` as a file of another module; returns the exit status and diagnostics.
    static func typecheck(_ source: String) async throws -> (status: Int32, output: String) {
        let arguments = try #require(compilerArguments(), "no debug build of the modules beside the sources (run swift build first)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-spi-\(UUID().uuidString).swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let r = try await Child.run("/usr/bin/env", ["swiftc", "-typecheck", "-swift-version", "6"] + arguments + [file.path], timeout: 600)
        return (r.status, r.output)
    }

    static let imports = """
        import GuichetCore
        import GuichetStore
        import GuichetPolicy
        import GuichetLedger
        import GuichetVault
        import GuichetGate
        import GuichetPostgres
        import Foundation

        """

    /// Each forbidden step, and the name the compiler's refusal must mention.
    static let forbidden: [(code: String, name: String)] = [
        ("func a(_ p: Policy) { _ = p.decide }", "decide"),
        ("func b(_ p: Policy) { _ = p.breakGlassRead }", "breakGlassRead"),
        ("func c(_ j: AccessJournal) async throws { _ = try await j.recordDisclosure([], action: .read) }", "recordDisclosure"),
        ("func d(_ j: AccessJournal) async throws { try await j.recordWrite([], action: .read) }", "recordWrite"),
        ("func e(_ j: AccessJournal) async throws { try await j.recordSystemEvent(\"x\", reason: \"y\") }", "recordSystemEvent"),
        ("func f(_ v: Vault) { _ = v.open(_:persons:revealing:) }", "open"),
        ("func g(_ v: Vault) { _ = v.open(person:role:revealing:) }", "open"),
        ("func h(_ g: Gate) { _ = g.journal }", "journal"),
        ("func i(_ s: SealedFields) { _ = s.bytes }", "bytes"),
        ("func j(_ s: Store) { _ = s.appendLedger }", "appendLedger"),
        ("func k(_ k: VaultKey) { _ = k.key }", "key"),
        ("func l() { _ = FieldCipher.self }", "FieldCipher"),
        ("func m(_ r: AccessReceipt) {}", "AccessReceipt"),
        ("func n(_ v: Vault) { _ = v.unwrap }", "unwrap"),
        ("func o(_ v: Vault) { _ = v.openNote }", "openNote"),
        ("func p(_ v: Vault) { _ = v.derivedKey }", "derivedKey"),
        ("func q(_ s: LedgerSeeds) { _ = s.bytes }", "bytes"),
        ("func r(_ p: Profile, _ s: Store, _ k: any KeyProvider) throws { _ = try Gate(profile: p, store: s, keys: k) }", "init"),
        ("func s(_ s: Store) { let _: any LedgerStorage = s }", "LedgerStorage"),
        ("func t(_ l: PostgresLedger) { _ = l.appendLedger }", "appendLedger"),
        ("func u(_ l: PostgresLedger) { _ = l.integrateLedger }", "integrateLedger"),
    ]

    @Test("a module outside the gate compiles the public API of policy, journal, vault and gate")
    func publicPathsCompile() async throws {
        let result = try await Self.typecheck(Self.imports + """
            func a(_ p: Policy) { _ = p.explain; _ = p.mayBreakGlass }
            func b(_ j: AccessJournal) async throws { _ = try await j.head(); _ = try await j.checkpoint(at: .distantPast) }
            func c(_ v: Vault) { _ = v.blindIndex; _ = v.seal; _ = v.checkUnwraps; _ = v.honeytokenKey }
            func d(_ g: Gate) async throws { _ = try await g.checkpoint(at: .distantPast); _ = try await g.ledgerSize() }
            func e(_ s: SealedFields, _ k: VaultKey) { _ = s == s; _ = k == k }
            func f(_ l: PostgresLedger) { _ = l.journal(); _ = l.entries(person:); _ = l.checkpoints }
            """)
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("a module outside the gate cannot compile a decision, a journal append, a receipt or an opening",
          arguments: Array(0..<forbidden.count))
    func forbiddenPathsDoNotCompile(_ index: Int) async throws {
        let (code, name) = Self.forbidden[index]
        let result = try await Self.typecheck(Self.imports + code + "\n")
        #expect(result.status != 0, "\(code) compiled")
        let refusal = result.output.split(separator: "\n").contains { line in
            line.contains("error:") && line.contains(name)
                && (line.contains("protection level") || line.contains("cannot find") || line.contains("has no member"))
        }
        #expect(refusal, "\(code): \(result.output)")
    }

    @Test("the same steps compile with the gate's SPI imported: the SPI is the only thing in the way")
    func spiIsTheOnlyBarrier() async throws {
        let result = try await Self.typecheck("""
            @_spi(GateOnly) import GuichetPolicy
            @_spi(GateOnly) import GuichetLedger
            @_spi(GateOnly) import GuichetVault
            @_spi(GateOnly) import GuichetGate
            @_spi(VaultOnly) @_spi(LedgerOnly) import GuichetStore
            import GuichetCore
            import Foundation

            func a(_ p: Policy) { _ = p.decide; _ = p.breakGlassRead }
            func c(_ j: AccessJournal, _ at: Date) async throws {
                let context = AccessContext(requestID: "r", subject: nil, session: nil, source: nil, purpose: nil, at: at)
                let access = AllowedAccess(dossier: DossierID(), rules: ["r"], breakGlass: false, persons: [], fields: [])
                _ = try await j.recordDisclosure([access], action: .read, context: context)
                try await j.recordWrite([access], action: .read, context: context)
                try await j.recordSystemEvent("x", reason: "y", persons: [], dossiers: [], context: context)
            }
            func f(_ v: Vault) { _ = v.open(_:persons:revealing:); _ = v.open(person:role:revealing:); _ = v.openNote; _ = v.derivedKey }
            func g(_ s: LedgerSeeds) { _ = s.bytes }
            func h(_ g: Gate) { _ = g.journal }
            func i(_ s: SealedFields, _ st: Store) { _ = s.bytes; _ = st.appendLedger }
            func m(_ r: AccessReceipt) {}
            """)
        #expect(result.status == 0, "\(result.output)")
    }
}
