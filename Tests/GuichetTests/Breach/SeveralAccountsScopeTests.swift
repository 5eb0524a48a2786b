import Foundation
import Testing
import Hummingbird
import HummingbirdTesting
import GuichetCore
import GuichetLedger
import GuichetBreach
import GuichetStore

/// An incident of several accounts taken over at once (the 2024 case: partner advisers' accounts
/// used together): one scope of all of them, each person once (an incident audit: a repeated
/// account filter kept the last account only, silently, and an incident held one account).
@Suite(.serialized) struct SeveralAccountsScopeTests {
    @Test("a scope of several accounts is the union of each account's, each person once with every field any of them received; it is stored and read back as 'accounts'")
    func unionOfAccounts() async throws {
        let scenario = try await ScriptedIncident.make()
        defer { scenario.world.remove() }
        let world = scenario.world
        let thief = scenario.attacker.account
        let one = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: thief))
        // A parent whose family the thief read too: both reached that parent.
        var found: (AccountID, BreachScope)?
        for name in ["parent1", "parent2", "parent3"] {
            let id = try #require(try await world.store.account(username: name)).id
            let scope = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: id))
            if !Set(scope.persons.map(\.person)).isDisjoint(with: one.persons.map(\.person)) { found = (id, scope); break }
        }
        let (parent, other) = try #require(found, "a parent's own reads overlap the thief's")
        #expect(!one.persons.isEmpty && !other.persons.isEmpty)
        let both = try await BreachResponse.scopeNow(world.gate, ScopeQuery(accounts: [parent, thief, parent]))
        var merged: [PersonID: Set<String>] = [:]
        for p in one.persons + other.persons { merged[p.person, default: []].formUnion(p.fields) }
        #expect(Dictionary(uniqueKeysWithValues: both.persons.map { ($0.person, Set($0.fields)) }) == merged)
        #expect(both.persons.count < one.persons.count + other.persons.count, "a person both accounts reached is counted once")
        #expect(both.entriesMatched == one.entriesMatched + other.entriesMatched)
        #expect(both.query.accounts == [parent, thief].sorted { $0.rawValue < $1.rawValue } && both.query.account == nil)
        #expect(both.query.json.object?["accounts"]?.array?.count == 2 && both.query.json.object?["account"] == nil)
        #expect(try ScopeQuery(json: both.query.json) == both.query)
        #expect(ScopeQuery(account: thief).json == .object(["account": .string(thief.rawValue)]), "one account is stored as before")
        #expect(throws: GuichetError.self) { try ScopeQuery(json: .object(["accounts": .array([])])) }
        #expect(throws: GuichetError.self) { try ScopeQuery(json: .object(["accounts": .array([.string("nope")])])) }
    }

    @Test("over the admin API 'account' repeats (ids or user names) and an incident's scope holds 'accounts'; any other parameter given twice is refused")
    func overTheAPI() async throws {
        let scenario = try await ScriptedIncident.make()
        defer { scenario.world.remove() }
        let world = scenario.world
        let officer = try await world.token("security")
        let thief = scenario.attacker.account.rawValue
        let parent = try #require(try await world.store.account(username: "parent1")).id
        let expected = try await BreachResponse.scopeNow(world.gate, ScopeQuery(accounts: [parent, scenario.attacker.account])).persons.count
        try await world.withAdmin { client in
            let scope = try await client.call(.get, "/admin/v1/breach/scope?account=\(thief)&account=parent1", token: officer)
            #expect(scope.status == .ok && scope["personCount"]?.integer == expected, "\(scope.text)")
            #expect(scope["query"]?.object?["accounts"]?.array?.count == 2, "both accounts kept: \(scope["query"] ?? .null)")
            let twice = try await client.call(.get, "/admin/v1/breach/scope?account=\(thief)&from=2026-01-01&from=2026-02-01", token: officer)
            #expect(twice.status == .badRequest && twice.text.contains("'from' is given twice"), "\(twice.text)")
            let unknown = try await client.call(.get, "/admin/v1/breach/scope?account=\(thief)&account=no.such.name", token: officer)
            #expect(unknown.status == .badRequest && unknown.text.contains("no account has the user name given"), "\(unknown.text)")

            let body = """
                {"title": "Two accounts", "nature": "Accounts taken over together", "facts": "Synthetic test", "detectedAt": "\(ScopeFormat.time(Date()))",
                 "scope": {"accounts": ["\(thief)", "\(parent.rawValue)"]}}
                """
            let made = try await client.call(.post, "/admin/v1/breach/incidents", token: officer, body: body)
            #expect(made.status == .created && made["scope"]?.object?["accounts"]?.array?.count == 2, "\(made.text)")
            let id = try #require(made["id"]?.string)
            let report = try await client.call(.get, "/admin/v1/breach/incidents/\(id)/report", token: officer)
            #expect(report.status == .ok && report.text.contains("\(expected)"), "the report counts the union")

            // An incident's scope by user names, as the scope query takes them (an incident
            // audit: refused, with a message naming the wrong key); a name nobody has is refused.
            let byName = body.replacingOccurrences(of: "\"\(parent.rawValue)\"", with: "\"parent1\"")
            let named = try await client.call(.post, "/admin/v1/breach/incidents", token: officer, body: byName)
            #expect(named.status == .created && Set(named["scope"]?.object?["accounts"]?.array?.compactMap(\.string) ?? []) == [thief, parent.rawValue],
                    "\(named.text)")
            let nobody = try await client.call(.post, "/admin/v1/breach/incidents", token: officer,
                                               body: body.replacingOccurrences(of: "\"\(parent.rawValue)\"", with: "\"no.such.name\""))
            #expect(nobody.status == .badRequest && nobody.text.contains("no account has the user name given"), "\(nobody.text)")
            // A source address mistyped is refused, not answered with 0 persons.
            for typo in ["not-an-ip", "203.0.113.07", "203.0.113.7/32"] {
                let scope = try await client.call(.get, "/admin/v1/breach/scope?source=\(typo)", token: officer)
                #expect(scope.status == .badRequest && scope.text.contains("'source' must be one IP address"), "\(typo): \(scope.text)")
            }
        }
    }

    @Test("guichet breach scope and breach register take --account several times, by user name")
    func onTheCommandLine() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "10", "--no-serve"]).status == 0)
        let run = try await CommandLineTests.run(["breach", "scope", "--data", data, "--account", "agent.demo", "--account", "daycare1.demo"])
        #expect(run.status == 0, "\(run.stderr)")
        let parsed = try JSONDecoder().decode(JSON.self, from: Data(run.stdout.utf8))
        #expect(parsed.object?["query"]?.object?["accounts"]?.array?.count == 2, "\(run.stdout.prefix(300))")
        let unknown = try await CommandLineTests.run(["breach", "scope", "--data", data, "--account", "agent.demo", "--account", "no.such.name"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no account has the user name given"), "\(unknown.stderr)")
        let twice = try await CommandLineTests.run(["breach", "scope", "--data", data, "--source", "198.51.100.4", "--source", "198.51.100.5"])
        #expect(twice.status != 0 && twice.stderr.contains("--source is given twice"), "\(twice.stderr)")

        // The incident of the two accounts, recorded on the console, keeps both in its scope.
        let listed = try await CommandLineTests.run(["breach", "list", "--data", data]).stdout.split(separator: "\n").count
        let scoped = Set(parsed.object?["query"]?.object?["accounts"]?.array?.compactMap(\.string) ?? [])
        let registered = try await CommandLineTests.run(["breach", "register", "--data", data, "--account", "agent.demo", "--account", "daycare1.demo",
                                                         "--title", "Two staff accounts", "--nature", "passwords reused from another service",
                                                         "--facts", "Both accounts signed in from one address at night.", "--detected-at", "2026-11-30T06:00:00Z"])
        #expect(registered.status == 0, "\(registered.stderr)")
        let incident = registered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let exported = try await CommandLineTests.run(["breach", "export", "--data", data])
        let incidents = try JSONDecoder().decode(JSON.self, from: Data(exported.stdout.utf8)).object?["incidents"]?.array ?? []
        let recorded = try #require(incidents.first { $0.object?["id"]?.string == incident }?.object)
        let accounts = recorded["scope"]?.object?["accounts"]?.array?.compactMap(\.string) ?? []
        #expect(scoped.count == 2 && Set(accounts) == scoped && accounts.count == 2, "\(recorded["scope"] ?? .null)")
        let missing = try await CommandLineTests.run(["breach", "register", "--data", data, "--account", "agent.demo", "--account", "no.such.name",
                                                      "--title", "t", "--nature", "n", "--facts", "f", "--detected-at", "2026-11-30T06:00:00Z"])
        #expect(missing.status != 0 && missing.stderr.contains("no.such.name"), "\(missing.stderr)")
        let after = try await CommandLineTests.run(["breach", "list", "--data", data])
        #expect(after.stdout.split(separator: "\n").count == listed + 1, "a refused registration records nothing: \(after.stdout)")
    }
}
