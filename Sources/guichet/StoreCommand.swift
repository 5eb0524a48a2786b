import ArgumentParser
import Foundation
import GuichetCore
import GuichetDeployment
import GuichetPostgres

/// `guichet store`: the registry's database as a whole.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "The registry's database as a whole: copy it to PostgreSQL, give the servers' role its rights there.",
        subcommands: [Copy.self, Grant.self])

    /// `guichet store grant`: the servers' own PostgreSQL role, which may add to the ledger but
    /// never change or delete it (issue 19).
    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give an existing PostgreSQL role what the servers need and no more: no UPDATE or DELETE on the ledger and the kept records, no table of its own.",
            discussion: """
                Run as the owner of the tables (the address in guichet.yaml, the password in PGPASSWORD), after creating the role \
                (CREATE ROLE guichet_server LOGIN PASSWORD '…'), and again after an upgrade that adds tables. Then start every \
                'guichet serve' with the role's address in GUICHET_STORE: a stolen server's credentials can add to the ledger, \
                never rewrite it, nor turn its triggers off (docs/OPERATIONS.md, "The servers' database role").
                """)

        @Option(help: "Data folder (env GUICHET_DATA; default guichet-data).") var data: String?
        @Option(help: "The role the servers log in as (lower-case letters, digits, _).") var role: String

        func run() async throws {
            let deployment = Deployment(data ?? ProcessInfo.processInfo.environment["GUICHET_DATA"] ?? "guichet-data")
            let (grant, server) = try await deployment.grantServerRole(role)
            say("granted \(role) the use of \(Counted.english(grant.tables, "table")) of the database \(server.database) on \(server.host):\(server.port)")
            for (table, operations) in grant.appendOnly.sorted(by: { $0.key < $1.key }) {
                say("  \(table): no \(operations.joined(separator: " or "))")
            }
            say("start every server with the address \(server.setting) in GUICHET_STORE (its password in PGPASSWORD)")
        }
    }

    /// `guichet store copy`: a data folder's SQLite registry copied into an empty PostgreSQL
    /// database (issue 19), verified before it commits.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a data folder's registry (SQLite) into an empty PostgreSQL database, verified before it commits.",
            discussion: """
                Every table is copied as stored (sealed fields stay sealed: the copy opens with the same key file), in one \
                PostgreSQL transaction that commits only once every table has the same row count on both sides and the copied \
                ledger verifies against its signed checkpoints. Stop the server first. A refused or failed copy changes nothing \
                in the data folder nor in the database (docs/OPERATIONS.md, "Moving a registry to PostgreSQL").
                """)

        @Option(help: "Data folder (env GUICHET_DATA; default guichet-data).") var data: String?
        @Option(help: "The empty PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require].")
        var to: String
        @Option(help: "Key file (default DATA/guichet.keys).") var keys: String?
        @Option(help: "Seconds to wait for the PostgreSQL server's first answer.") var timeout = 30
        @Flag(help: "Once the copy is verified, write 'store: ADDRESS' (without its password: give that in PGPASSWORD) in DATA/guichet.yaml: from then on 'guichet serve' and the other commands use the PostgreSQL copy.")
        var switchOver = false

        func run() async throws {
            let deployment = Deployment(data ?? ProcessInfo.processInfo.environment["GUICHET_DATA"] ?? "guichet-data")
            let (report, address) = try await deployment.copyStore(to: to, keys: keys, timeout: .seconds(timeout), switchOver: switchOver) { note($0) }
            let signed = report.checkpointSize.map { "the latest signed checkpoint covers \($0)" } ?? "no signed checkpoint yet"
            say("copied \(Counted.english(report.tables.count, "table")), \(Counted.english(report.rows, "row")), into \(address)")
            say("verified: every table has the same row count on both sides; the ledger (entries: \(report.ledgerEntries), "
                + "signed checkpoints: \(report.checkpoints)) verifies whole, \(signed)")
            if switchOver {
                say("\(deployment.configFile) now names the PostgreSQL copy (store: \(address.setting)); guichet.sqlite is kept, unused: keep it and a backup until the copy has served a while")
                if let note = Deployment.passwordLeftOut(of: to) { say(note) }
            } else {
                say("the data folder is unchanged; to serve the copy, run this command with --switch-over, or add 'store: \(address.setting)' to "
                    + "\(deployment.configFile) (or set GUICHET_STORE; the password in PGPASSWORD), with the same key file (docs/OPERATIONS.md)")
            }
        }
    }
}
