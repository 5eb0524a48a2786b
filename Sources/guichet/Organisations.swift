import ArgumentParser
import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetServer
import GuichetStore

/// `guichet organisations`: the organisations of the profile's kinds.
struct Organisations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add or list organisations of the profile's kinds (journalled).",
                                                    subcommands: [Add.self, Capacity.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an organisation; prints its id.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "One of the profile's organisation kinds.") var kind: String
        @Option(help: "Its name.") var name: String
        @Option(help: "Its territory's code (add the territory first).") var territory: String?
        @Option(help: "Its capacity (places), if it has one.") var capacity: Int?

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            let o = try await provisioning.addOrganisation(kind: kind, name: name, territory: territory, capacity: capacity, by: by)
            say("Organisation '\(o.name)' (\(o.kind)) added: \(o.id)")
        }
    }

    struct Capacity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an organisation's capacity (places), or remove it (journalled).",
            discussion: "Below the places already held, new offers are refused until places free up; nothing offered is withdrawn.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The organisation's id (as `guichet organisations list` prints it).") var organisation: String
        @Option(help: "Its new capacity, a whole number of places.") var capacity: Int?
        @Flag(help: "Remove its capacity: offers are no longer bounded.") var none = false

        func validate() throws {
            guard (capacity != nil) != none else { throw ValidationError("give either --capacity N or --none") }
        }

        func run() async throws {
            guard let id = OrganisationID(validating: organisation) else { throw ValidationError("'\(organisation)' is not an organisation id") }
            let (provisioning, _, by) = try await console.provisioning()
            let o = try await provisioning.setCapacity(of: id, to: none ? nil : capacity, by: by)
            say("Organisation '\(o.name)': capacity \(o.capacity.map { "\($0) places" } ?? "none")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations, one a line: id, kind, territory, name, capacity (tab-separated; '-' when none).")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "Only this kind.") var kind: String?

        func run() async throws {
            let (_, server, _) = try await console.provisioning()
            for o in try await server.store.organisations(kind: kind) { say("\(o.id)\t\(o.kind)\t\(o.territory ?? "-")\t\(o.name)\t\(o.capacity.map(String.init) ?? "-")") }
        }
    }
}
