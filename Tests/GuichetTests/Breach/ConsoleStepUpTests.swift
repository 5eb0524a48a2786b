import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMerkle
import GuichetVault
import GuichetAuth
import GuichetMFA
@testable import GuichetStore

/// A security officer's account made for an incident (`guichet staff create`), whose letters the
/// operator writes at once from the console (BREACH.md): the operator's audit, finding #2.
@Suite(.serialized) struct ConsoleStepUpTests {
    @Test("a console run as a security officer created minutes ago writes the letters: the console, which holds the key file, is asked for no step-up it cannot give")
    func consoleIsAskedNoStepUp() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "10", "--no-serve"]).status == 0)
        // An agent account reads two applications from an unusual address: the incident.
        let source = "198.51.100.9"
        try await BreachCommandTests.agentReadsTwoApplications(data: data, from: source)
        let registered = try await CommandLineTests.run(["breach", "register", "--data", data, "--title", "Agent account misused", "--nature", "Reads from an unknown address",
                                                   "--facts", "Two applications read", "--detected-at", ScopeFormat.time(Date()), "--source", source])
        let id = registered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(registered.status == 0, "stderr: \(registered.stderr)")
        let scope = try await CommandLineTests.run(["breach", "scope", "--data", data, "--source", source])
        let persons = try #require(try JSONDecoder().decode(JSON.self, from: Data(scope.stdout.utf8)).object?["personCount"]?.integer)
        #expect(persons >= 2, "the two applications name a child and a parent each at least")
        // The account by its user name, as an operator knows it.
        let byName = try await CommandLineTests.run(["breach", "scope", "--data", data, "--account", "agent.incident"])
        #expect(try JSONDecoder().decode(JSON.self, from: Data(byName.stdout.utf8)).object?["personCount"]?.integer == persons, "\(byName.stderr)")
        let unknown = try await CommandLineTests.run(["breach", "scope", "--data", data, "--account", "nobody.here"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no account has the user name given: check its spelling (nobody.here)"))

        let made = try await CommandLineTests.run(["staff", "create", "--data", data, "--username", "sec.two", "--role", "security"])
        #expect(made.status == 0, "\(made.stderr)")
        let out = folder.appendingPathComponent("letters")
        // The first run writes the letters: the fresh-account finding is an alert on the console.
        let first = try await CommandLineTests.run(["breach", "letters", "--data", data, "--incident", id, "--as", "sec.two", "--out", out.path])
        #expect(first.status == 0 && !first.stderr.contains("verify your second factor"), "\(first.stderr)")
        // The alert is raised all the same: a new account reached personal data.
        let alerts = try await RegistryFolder(data: data).strings("SELECT detector FROM watch_alert")
        #expect(alerts.contains("fresh-account"))
    }

    @Test("the console writes the letters of an incident of hundreds of persons: every letter, the officer named neither throttled nor reported for its volume")
    func consoleLettersOfALargeIncident() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "300", "--no-serve"]).status == 0)
        // Twelve agent accounts read twelve applications each from one address (under their
        // ceiling each): an incident of a few hundred persons, scoped by that address.
        let source = "198.51.100.9"
        let registry = try await RegistryFolder(data: data).open()
        let store = try await RegistryFolder(data: data).store().store
        let (gate, auth) = (registry.gate, registry.auth)
        let operatorOrg = try #require(try await store.account(username: "security.demo")?.organisation)
        let key = try Vault(profile: try Repo.profile(), keys: try FileKeyProvider(path: data + "/guichet.keys")).honeytokenKey()
        let decoys = Set(try await store.honeytokenTags())
        let ids = try await RegistryFolder(data: data).strings("SELECT id FROM dossier ORDER BY id")
            .filter { !decoys.contains(Honeytoken.tag($0, kind: "dossier", key: key)) }
        for n in 0..<12 {
            let name = "agent.incident\(n)"
            _ = try await auth.createAccount(username: name, password: World.password, role: "agent", organisation: operatorOrg, createdBy: nil)
            let session = try await auth.signIn(username: name, password: World.password)
            let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: try await auth.consoleActivation(username: name)?.code)
            _ = try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
            let agent = try await auth.authenticate(token: session.token)
            for id in ids.dropFirst(n * 12).prefix(12) {
                do { _ = try await gate.read(DossierID(trusted: id), GateRequest(principal: agent, requestID: "incident", source: source, purpose: "list-management")) } catch { break }
            }
        }
        let registered = try await CommandLineTests.run(["breach", "register", "--data", data, "--title", "Agent accounts misused", "--nature", "Reads from an unknown address",
                                                         "--facts", "Applications read", "--detected-at", ScopeFormat.time(Date()), "--source", source])
        let id = registered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let scope = try await CommandLineTests.run(["breach", "scope", "--data", data, "--source", source])
        let persons = try #require(try JSONDecoder().decode(JSON.self, from: Data(scope.stdout.utf8)).object?["personCount"]?.integer)
        #expect(persons > 200, "an incident of \(persons) persons, several times what a session may open over HTTP")
        let out = folder.appendingPathComponent("letters")
        let run = try await CommandLineTests.run(["breach", "letters", "--data", data, "--incident", id, "--as", "security.demo", "--out", out.path])
        #expect(run.status == 0 && run.stderr.contains("letters: \(persons) for \(persons) persons"), "\(run.stderr)")
        let officer = try #require(try await store.account(username: "security.demo"))
        #expect(officer.status == "active")
        let alerts = try await RegistryFolder(data: data).strings("SELECT detector FROM watch_alert WHERE account_id = '\(officer.id.rawValue)'")
        #expect(!alerts.contains { $0.hasPrefix("volume") || $0.hasPrefix("request-") }, "the console's volume is not reported: \(alerts)")
    }
}
