import ArgumentParser
import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetServer
import GuichetStore

/// `guichet caseload`: which dossiers each adviser works on.
struct Caseload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Assign dossiers to an adviser's caseload, or move a caseload (journalled).",
                                                    subcommands: [Assign.self, Transfer.self, Show.self, List.self])

    /// Dossier ids from `--dossier` options and from a file of one id a line.
    struct Dossiers: ParsableArguments {
        @Option(name: .customLong("dossier"), help: "A dossier id (repeat the option for more).") var ids: [String] = []
        @Option(help: "A file of dossier ids, one a line.") var file: String?

        func list() throws -> [DossierID] {
            // Each id with where it came from, so that a bad one is named by its place.
            var texts = ids.enumerated().map { ($1, "--dossier number \($0 + 1)") }
            if let file {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CommandError("cannot read \(file)") }
                for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let t = line.trimmingCharacters(in: .whitespacesAndNewlines)
                    if !t.isEmpty { texts.append((t, "line \(i + 1) of \(file)")) }
                }
            }
            return try texts.map { t, place in
                guard let id = DossierID(validating: t) else { throw CommandError("\(place) is not a valid dossier id: nothing was changed") }
                return id
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put dossiers in a staff or partner account's caseload, all or none.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The adviser's user name.") var adviser: String
        @OptionGroup var dossiers: Dossiers

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            let ids = try dossiers.list()
            let to = try await provisioning.accountID(username: adviser)
            // An assigned file leaves the caseload that held it: say which, rather than silently.
            let others = try await provisioning.otherCaseloads(holding: ids, than: to)
            let change = try await provisioning.assignCaseload(ids, to: to, by: by)
            say("\(Counted.english(change.count, "dossier")) assigned to '\(adviser)'.")
            for (name, count) in others { say("\(Counted.english(count, "dossier")) left the caseload of '\(name)'.") }
        }
    }

    struct Transfer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move an adviser's caseload (or the dossiers given) to another, all or none.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The user name whose caseload moves.") var from: String
        @Option(help: "The user name who takes it.") var to: String
        @OptionGroup var dossiers: Dossiers

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            let only = try dossiers.list()
            let change = try await provisioning.transferCaseload(from: try await provisioning.accountID(username: from),
                                                                to: try await provisioning.accountID(username: to),
                                                                only: only.isEmpty ? nil : only, by: by)
            say("\(Counted.english(change.count, "dossier")) moved from '\(from)' to '\(to)'.")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the dossier ids of an adviser's caseload, one a line.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The adviser's user name.") var adviser: String

        func run() async throws {
            let (provisioning, server, _) = try await console.provisioning()
            for id in try await server.store.caseload(of: try await provisioning.accountID(username: adviser)) { say(id.rawValue) }
        }
    }
}

extension Caseload {
    /// The ids to give `assign --file` (an operator's audit: after an import nothing listed a
    /// registry's dossiers, and the ids came from psql). Ids only: no field of a file.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the ids of an organisation's dossiers (owned or chosen), one a line, to build a caseload's file.",
            discussion: "guichet caseload list --organisation ORG_ID --unassigned > dossiers.txt; then caseload assign --file dossiers.txt")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The organisation's id (guichet organisations list).") var organisation: String
        @Option(help: "Dossier type (default: every type of the profile).") var type: String?
        @Option(help: "Only dossiers in this state.") var status: String?
        @Flag(help: "Only dossiers in no caseload.") var unassigned = false

        func run() async throws {
            let (provisioning, _, _) = try await console.provisioning()
            guard let org = OrganisationID(validating: organisation) else {
                throw CommandError("no organisation has the id '\(organisation)' (guichet organisations list gives them)")
            }
            let ids = try await provisioning.dossierIDs(of: org, type: type, status: status, unassigned: unassigned)
            for id in ids { say(id.rawValue) }
            note("\(Counted.english(ids.count, "dossier")) listed")
        }
    }
}

extension CaseloadChange {
    /// The dossiers the step changed (the console's steps are made at once, never pending).
    var count: Int {
        switch self {
        case .made(let ids): ids.count
        case .pending(let r): r.dossiers.count
        }
    }
}
