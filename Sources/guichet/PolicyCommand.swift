import ArgumentParser
import Foundation
import GuichetCore
import GuichetPolicy
import GuichetProfile
import GuichetDeployment

/// `guichet policy`: explain a decision, run a profile's policy table.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Explain the policy's decisions and check a profile's policy table.",
        subcommands: [Explain.self, Test.self])

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say, rule by rule, why an account may or may not do an action on a dossier, and which fields it would see.",
            discussion: "Reads only the account and the dossier's relations (organisation, caseload, partners, territory, links); no personal field is opened.")
        @Option(help: "Data folder.") var data = "guichet-data"
        @Option(name: .customLong("as"), help: "The account's user name.") var username: String
        @Option(help: "The dossier id.") var dossier: String
        @Option(help: "read, search, create, update, withdraw, versions, restore or transition:NAME.") var action: String
        @Option(help: "The stated purpose (one of the profile's purposes).") var purpose: String?

        func validate() throws {
            guard Action(action) != nil else { throw ValidationError("--action must be read, search, create, update, withdraw, versions, restore or transition:NAME") }
            guard DossierID(validating: dossier) != nil else { throw ValidationError("--dossier is not a dossier id") }
        }

        func run() async throws {
            // Both checked by validate().
            let e = try await Deployment(data).explain(username: username, dossier: DossierID(validating: dossier)!, action: Action(action)!,
                                                       purpose: purpose)
            say(e.heading)
            say("rules, in order:")
            for line in e.explanation.lines { say(line) }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a profile's policy table (profiles/NAME/policy-tests.yaml); exits non-zero if any row fails.")
        @Argument(help: "Profile name or folder.") var profile: String
        @Flag(help: "Print passing rows too.") var verbose = false

        func run() async throws {
            let folder = try Deployment.resolveProfile(profile)
            let loaded = try Deployment.loadProfile(folder)
            let table = URL(fileURLWithPath: folder).appendingPathComponent(PolicyTestLoader.fileName).path
            guard FileManager.default.fileExists(atPath: table) else { throw CommandError("no policy table: \(table) is missing") }
            let rows: [PolicyTestCase]
            do { rows = try PolicyTestLoader.load(path: table, profile: loaded) } catch let e as ProfileError {
                throw CommandError("invalid policy table: \(e)")
            }
            let policy = Policy(profile: loaded)
            var failures = 0
            for row in rows {
                if let problem = policy.check(row) {
                    failures += 1
                    say("FAIL \(row.location) \(row.name): \(problem)")
                } else if verbose {
                    say("ok   \(row.location) \(row.name)")
                }
            }
            say("\(loaded.name): \(rows.count - failures) of \(rows.count) rows hold" + (failures == 0 ? "" : ", \(failures) failed"))
            if failures > 0 { throw ExitCode(1) }
        }
    }
}
