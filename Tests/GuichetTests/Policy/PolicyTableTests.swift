import Foundation
import Testing
import GuichetCore
import GuichetPolicy
import GuichetProfile

/// Every profile ships a policy table; CI runs all of them.
@Suite struct PolicyTableTests {
    static var profileFolders: [String] {
        let dir = Repo.root.appendingPathComponent("profiles")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().filter { FileManager.default.fileExists(atPath: dir.appendingPathComponent("\($0)/profile.yaml").path) }
    }

    @Test("every profile has a policy table")
    func everyProfileHasATable() {
        #expect(Self.profileFolders.count >= 2)
        for name in Self.profileFolders {
            #expect(FileManager.default.fileExists(atPath: Repo.root.appendingPathComponent("profiles/\(name)/\(PolicyTestLoader.fileName)").path),
                    "profiles/\(name) has no \(PolicyTestLoader.fileName)")
        }
    }

    @Test("each profile's policy table holds", arguments: profileFolders)
    func tableHolds(_ name: String) throws {
        let profile = try Repo.profile(named: name)
        let rows = try PolicyTestLoader.load(path: Repo.root.appendingPathComponent("profiles/\(name)/\(PolicyTestLoader.fileName)").path, profile: profile)
        #expect(rows.count >= 10, "a table worth the name")
        let policy = Policy(profile: profile)
        for row in rows {
            let problem = policy.check(row)
            #expect(problem == nil, "\(row.location) \(row.name): \(problem ?? "")")
        }
        // Every table has rows expecting a deny and rows expecting an allow.
        #expect(rows.contains { if case .deny = $0.expected { true } else { false } })
        #expect(rows.contains { if case .allow = $0.expected { true } else { false } })
    }

    @Test("a wrong row fails with what was expected and what was decided")
    func wrongRowIsReported() throws {
        let policy = Policy(profile: try Repo.profile(named: "emploi"))
        let leaky = PolicyTestCase(location: "t.yaml:1", name: "partner sees NIR", role: "partner-adviser", links: [.assigned], action: .read,
                                   dossierType: "job-seeker", state: "registered", purpose: "disability-support",
                                   expected: .allow(fields: FieldSelector(["seeker.*"]), without: []))
        let message = try #require(policy.check(leaky))
        #expect(message.contains("fields expected but not granted: seeker.address, seeker.nir"), "\(message)")
        let wrongDeny = PolicyTestCase(location: "t.yaml:2", name: "x", role: "partner-adviser", links: [.assigned], action: .read,
                                       dossierType: "job-seeker", state: "registered", purpose: "disability-support", expected: .deny(reason: nil))
        #expect(policy.check(wrongDeny)?.hasPrefix("expected deny, got allow by partner-adviser-own-caseload") == true)
        let wrongReason = PolicyTestCase(location: "t.yaml:3", name: "x", role: "adviser", links: [], action: .read,
                                         dossierType: "job-seeker", state: "registered", purpose: nil, expected: .deny(reason: "explicit-deny"))
        #expect(policy.check(wrongReason) == "expected deny (explicit-deny), got deny (no-rule)")
    }

    @Test("a table row naming an unknown role is refused with its line")
    func badTableRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("policy-tests.yaml")
        try "tests:\n  - role: pirate\n    action: read\n    dossier: job-seeker\n    expect: deny\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ProfileError.self) { try PolicyTestLoader.load(path: file.path, profile: try Repo.profile(named: "emploi")) }
        do { _ = try PolicyTestLoader.load(path: file.path, profile: try Repo.profile(named: "emploi")) } catch let e as ProfileError {
            #expect(e.line == 2 && e.message.contains("unknown role 'pirate'"), "\(e)")
        }
    }
}
