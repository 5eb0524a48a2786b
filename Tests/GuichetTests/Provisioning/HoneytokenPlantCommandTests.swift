import Foundation
import Testing
import GuichetCore
import GuichetDeployment
import GuichetGate
import GuichetMFA
import GuichetStore
import GuichetVault

/// `guichet honeytokens plant`: decoys for a registry made by `guichet init` (THREATS C7 for
/// R1 and R4 outside the demos), through the real binary; refused where it cannot plant, with
/// nothing changed; planted records are tagged, journalled without their ids, and trip the
/// watch of a server opened afterwards.
@Suite(.serialized) struct HoneytokenPlantCommandTests {
    @Test("an operator plants honeytokens in an emploi registry made by init, and in a jeunes one; before any agency or office, and on secu, it is refused and nothing changes")
    func plantInEmploi() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("registry").path
        func run(_ args: [String]) async throws -> CommandLineTests.Run { try await CommandLineTests.run(args + ["--data", data]) }
        #expect(try await CommandLineTests.run(["init", "--data", data, "--profile", "emploi"]).status == 0)
        let registryFolder = RegistryFolder(data: data)

        let before = try await registryFolder.rowCounts()
        let early = try await run(["honeytokens", "plant", "--count", "5"])
        #expect(early.status != 0 && early.stderr.contains("no organisation of kind 'agency'"), "\(early.stderr)")
        let zero = try await run(["honeytokens", "plant", "--count", "0"])
        #expect(zero.status != 0 && zero.stderr.contains("--count is from 1 to 10000"), "\(zero.stderr)")
        #expect(try await registryFolder.rowCounts() == before, "a refused plant changes nothing, not even the ledger")

        #expect(try await run(["territories", "add", "--code", "75", "--name", "Paris"]).status == 0)
        for name in ["Agence Paris Nord", "Agence Paris Sud"] {
            #expect(try await run(["organisations", "add", "--kind", "agency", "--name", name, "--territory", "75"]).status == 0)
        }
        let planted = try await run(["honeytokens", "plant", "--count", "6"])
        #expect(planted.status == 0 && planted.stdout.contains("6 honeytoken records planted"), "\(planted.stdout) \(planted.stderr)")
        // Without --count: the profile's 40, with a word on how many would suit 6 files (a new
        // user's audit: 40 decoys after an import of 3 files made 93 % of the registry).
        let again = try await run(["honeytokens", "plant"])
        #expect(again.status == 0 && again.stdout.contains("40 honeytoken records planted"), "the profile's count: \(again.stdout) \(again.stderr)")
        #expect(again.stderr.contains("40 decoys among 6 records") && again.stderr.contains("--count 1"), "\(again.stderr)")

        let registry = try await registryFolder.open()
        let (store, ledger) = try await registryFolder.store()
        // No decoy is due for retention (an operator's audit: the first daily run erased 26 of
        // 40 decoys planted after an import of fresh files, and its entry named exactly them).
        let due = try await registry.gate.runRetention(dryRun: true)
        #expect(due.wouldErase.isEmpty && due.wouldArchive.isEmpty, "decoys due: \(due.wouldErase.count) to erase, \(due.wouldArchive.count) to archive")
        let tags = Set(try await store.honeytokenTags())
        #expect(tags.count == 2 * 46, "a tag per file and per job seeker")
        let entries = try await ledger.journal().filter { $0.action == "watch:honeytokens" }
        #expect(entries.count == 2 && entries.allSatisfy { $0.persons.isEmpty && $0.dossiers.isEmpty }, "journalled, never which records")
        #expect(try await run(["ledger", "verify"]).status == 0)

        // The decoys are files of the registry's agencies; an adviser of that agency who opens one is suspended.
        let key = try Vault(profile: registry.gate.profile, keys: try Deployment(data).keys(nil)).honeytokenKey()
        let files = try await store.search(DossierQuery(type: "job-seeker", status: nil, scope: [.any], terms: [], after: nil, limit: 500))
        let decoys = try await store.dossiers(files).filter { tags.contains(Honeytoken.tag($0.id.rawValue, kind: "dossier", key: key)) }
        #expect(decoys.count == 46 && decoys.allSatisfy { $0.organisation != nil && $0.assignedAgent == nil })
        let decoy = try #require(decoys.first)
        // A list of ids to build caseloads leaves the decoys out: an adviser given one would open it.
        for agency in Set(decoys.compactMap(\.organisation)) {
            let listed = try await run(["caseload", "list", "--organisation", agency.rawValue])
            #expect(listed.status == 0 && listed.stdout.isEmpty && listed.stderr.contains("0 dossiers listed"), "\(listed.stdout) \(listed.stderr)")
        }
        let adviser = try await registry.auth.createAccount(username: "adviser.one", password: World.password, role: "adviser",
                                                            organisation: decoy.organisation, territory: "75", createdBy: nil)
        let session = try await registry.auth.signIn(username: "adviser.one", password: World.password)
        let code = try #require(try await registry.auth.consoleActivation(username: "adviser.one")?.code)
        let (secret, _) = try await registry.auth.beginTOTP(session.principal, activationCode: code)
        try await registry.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        let request = GateRequest(principal: try await registry.auth.authenticate(token: session.token), requestID: "test", source: nil, purpose: "support")
        await #expect(throws: (any Error).self, "the file is not returned") { _ = try await registry.gate.read(decoy.id, request) }
        #expect(try await store.account(id: adviser)?.status == "disabled", "opening a planted honeytoken suspends the account")

        // jeunes (R2): young persons' files among the local offices, planted the same way.
        let jeunes = folder.appendingPathComponent("jeunes").path
        func inJeunes(_ args: [String]) async throws -> CommandLineTests.Run { try await CommandLineTests.run(args + ["--data", jeunes]) }
        #expect(try await CommandLineTests.run(["init", "--data", jeunes, "--profile", "jeunes"]).status == 0)
        let noOffice = try await inJeunes(["honeytokens", "plant", "--count", "3"])
        #expect(noOffice.status != 0 && noOffice.stderr.contains("no organisation of kind 'local-office'"), "\(noOffice.stderr)")
        #expect(try await inJeunes(["territories", "add", "--code", "59", "--name", "Nord"]).status == 0)
        #expect(try await inJeunes(["organisations", "add", "--kind", "local-office", "--name", "Mission locale Lille", "--territory", "59"]).status == 0)
        let youth = try await inJeunes(["honeytokens", "plant", "--count", "20"])
        #expect(youth.status == 0 && youth.stdout.contains("20 honeytoken records planted"), "\(youth.stdout) \(youth.stderr)")
        let (jeunesStore, _) = try await RegistryFolder(data: jeunes).store()
        #expect(try await jeunesStore.honeytokenTags().count == 40, "a tag per file and per young person")
        let jeunesDue = try await RegistryFolder(data: jeunes).open().gate.runRetention(dryRun: true)
        #expect(jeunesDue.wouldErase.isEmpty && jeunesDue.wouldArchive.isEmpty, "decoys due: \(jeunesDue.wouldErase.count), \(jeunesDue.wouldArchive.count)")

        // secu has no generator of decoys: refused, nothing changes.
        let secu = folder.appendingPathComponent("secu").path
        #expect(try await CommandLineTests.run(["init", "--data", secu, "--profile", "secu"]).status == 0)
        let refused = try await CommandLineTests.run(["honeytokens", "plant", "--count", "3", "--data", secu])
        #expect(refused.status != 0 && refused.stderr.contains("no honeytoken generator yet"), "\(refused.stderr)")
    }
}
