import ArgumentParser
import Foundation
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetBreach
import GuichetServer
import GuichetStore
import GuichetMail
import GuichetAuth

/// `guichet breach`: scope an incident from the ledger, keep the breach register, draft the
/// report to the supervisory authority.
struct Breach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Breach response: exact scope from the ledger, the breach register (GDPR art. 33(5)), the regulator report draft.",
        subcommands: [Scope.self, Register.self, List.self, Export.self, Update.self, Report.self, Letters.self])

    /// The filters of a scope, shared by `scope` and `register`.
    struct ScopeOptions: ParsableArguments {
        @Option(help: "Account id, or its user name; several --account for an incident of several accounts.") var account: [String] = []
        // Read as lists so that one given twice is refused, not narrowed to its last value.
        @Option(name: .customLong("session"), help: "Session id.") var sessions: [String] = []
        @Option(name: .customLong("source"), help: "Source address.") var sources: [String] = []
        @Option(name: .customLong("from"), help: "Start of the window (ISO 8601, inclusive).") var froms: [String] = []
        @Option(name: .customLong("to"), help: "End of the window (ISO 8601, exclusive).") var tos: [String] = []

        var session: String? { sessions.first }
        var source: String? { sources.first }
        var from: String? { froms.first }
        var to: String? { tos.first }

        func validate() throws {
            for (name, values) in [("session", sessions), ("source", sources), ("from", froms), ("to", tos)] where values.count > 1 {
                throw ValidationError("--\(name) is given twice: a scope takes one (--account may be given once per account)")
            }
        }

        var isEmpty: Bool { account.isEmpty && [session, source, from, to].allSatisfy { $0 == nil } }

        /// The query, `--account` taken as an account id, else as a user name of the registry
        /// (an operator's audit: the id had to be looked up in `staff list` first).
        func query(_ server: GuichetServer) async throws -> ScopeQuery {
            var ids: [JSON] = []
            for name in account {
                do { ids.append(.string(try await BreachResponse.account(named: name, store: server.store).rawValue)) } catch let e as GuichetError {
                    throw CommandError("\(e.description) (\(name))")
                }
            }
            var o: [String: JSON] = [:]
            if !ids.isEmpty { o["accounts"] = .array(ids) }
            for (k, v) in [("session", session), ("source", source), ("from", from), ("to", to)] {
                if let v { o[k] = .string(v) }
            }
            do { return try ScopeQuery(json: .object(o)) } catch let e as GuichetError { throw ValidationError(e.description) }
        }
    }

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, csv }

    static func print(_ json: JSON) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // A JSON value always encodes.
        say(String(decoding: try! encoder.encode(json), as: UTF8.self))
    }

    struct Scope: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Which fields of which persons were exposed by an account, a session, a source address or a time window (any combination); signs a checkpoint first and names it.")
        @OptionGroup var options: Ledger.Options
        @OptionGroup var filters: ScopeOptions
        @Option(help: "json or csv.") var format: Format = .json
        @Flag(help: "List every matched entry (JSON).") var timeline = false

        func validate() throws {
            if filters.isEmpty { throw ValidationError("give at least one of --account, --session, --source, --from, --to") }
        }

        func run() async throws {
            let server = try await options.open()
            let scope = try await BreachResponse.scopeNow(server.gate, try await filters.query(server))
            switch format {
            case .json: Breach.print(scope.json(timeline: timeline))
            case .csv: FileHandle.standardOutput.write(Data(scope.csv().utf8))
            }
            note("scope: \(Counted.english(scope.persons.count, "person")), \(Counted.english(scope.attempts.count, "refused attempt")), checkpoint of \(Counted.english(scope.checkpoint.size, "entry", "entries"))")
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record an incident in the breach register.")
        @OptionGroup var options: Ledger.Options
        @OptionGroup var filters: ScopeOptions
        @Option(help: "Short title.") var title: String
        @Option(help: "Nature of the breach (what kind, how).") var nature: String
        @Option(help: "The facts.") var facts: String
        @Option(help: "The effects.") var effects = ""
        @Option(help: "Remedial action taken.") var remedial = ""
        @Option(help: "Likely consequences for the persons.") var consequences = ""
        @Option(help: "When it was detected (ISO 8601).") var detectedAt: String
        @Option(help: "open, contained, notified or closed.") var status = "open"
        @Flag(help: "The exposed fields were encrypted and the keys were not exposed (art. 34(3)(a)).") var encryptedAndKeysSafe = false

        func run() async throws {
            let server = try await options.open()
            let detected: Date
            do { detected = try ScopeFormat.parseTime(detectedAt, "detected-at") } catch let e as GuichetError { throw ValidationError(e.description) }
            let input = IncidentInput(title: title, nature: nature, facts: facts, effects: effects, remedial: remedial, consequences: consequences,
                                      detectedAt: detected, status: status, encryptedAndKeysSafe: encryptedAndKeysSafe, scope: try await filters.query(server))
            do {
                let record = try await BreachRegister(store: server.store).register(input, by: nil)
                say(record.id)
            } catch let e as GuichetError { throw CommandError(e.description) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the incidents of the breach register.")
        @OptionGroup var options: Ledger.Options
        func run() async throws {
            let server = try await options.open()
            for i in try await BreachRegister(store: server.store).list() {
                say("\(i.id)  \(ScopeFormat.time(i.detectedAt))  \(i.status)  \(i.title)")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export the breach register with every change, as JSON or CSV.")
        @OptionGroup var options: Ledger.Options
        @Option(help: "json or csv.") var format: Format = .json
        func run() async throws {
            let server = try await options.open()
            let register = BreachRegister(store: server.store)
            switch format {
            case .json: Breach.print(try await register.exportJSON())
            case .csv: FileHandle.standardOutput.write(Data(try await register.exportCSV().utf8))
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an incident's status, effects, remedial action, or record when the authority was notified.")
        @OptionGroup var options: Ledger.Options
        @Option(help: "Incident id.") var incident: String
        @Option(help: "open, contained, notified or closed.") var status: String?
        @Option(help: "Remedial action.") var remedial: String?
        @Option(help: "Effects.") var effects: String?
        @Option(help: "When the authority was notified (ISO 8601).") var notifiedAuthorityAt: String?
        func run() async throws {
            let server = try await options.open()
            do {
                let notified = try notifiedAuthorityAt.map { try ScopeFormat.parseTime($0, "notified-authority-at") }
                let r = try await BreachRegister(store: server.store).update(incident, status: status, remedial: remedial, effects: effects,
                                                                             notifiedAuthorityAt: notified, by: nil)
                say("\(r.id)  \(r.status)")
            } catch let e as GuichetError { throw CommandError(e.description) }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draft the notification to the supervisory authority (GDPR art. 33) for an incident, as Markdown.")
        @OptionGroup var options: Ledger.Options
        @Option(help: "Incident id.") var incident: String
        @Option(help: "fr or en (default: the profile's language).") var language: String?
        func validate() throws {
            if let language, !RegulatorReport.languages.contains(language) { throw ValidationError("--language is fr or en") }
        }
        func run() async throws {
            let server = try await options.open()
            do {
                say(try await BreachResponse.report(incident: incident, gate: server.gate, store: server.store, contact: server.breachContact)
                    .report.markdown(language: language ?? server.gate.profile.defaultLanguage))
            } catch let e as GuichetError { throw CommandError(e.description) }
        }
    }
}

extension Breach {
    /// `guichet breach letters`: the letters to the persons concerned by an incident, written
    /// as printable HTML files or sent by e-mail, as a named security officer.
    struct Letters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the letters to the persons concerned by an incident (GDPR art. 34) as HTML files, or send them by e-mail.",
            discussion: """
                Names and contacts are opened through the gate with the purpose breach-notification, as the \
                security officer named by --as (an active account of role kind security); every opening is in \
                the ledger under that name. Nothing personal is printed: the files hold the letters.
                """)
        @OptionGroup var options: Ledger.Options
        @Option(help: "Incident id.") var incident: String
        @Option(name: .customLong("as"), help: "User name of the security officer doing it.") var officer: String
        @Option(help: "fr or en (default: the profile's language).") var language: String?
        @Option(help: "Folder to write one HTML letter per person into (created if missing).") var out: String?
        @Flag(help: "Send the letters by e-mail through the configured SMTP relay.") var send = false

        func validate() throws {
            if out == nil && !send { throw ValidationError("give --out FOLDER, --send, or both") }
            if let language, !["fr", "en"].contains(language) { throw ValidationError("--language must be fr or en") }
        }

        func run() async throws {
            let server = try await options.open()
            do {
                // Letters name people: the folder must be the operator's alone; checked before any name is opened.
                let folder = try out.map { try LetterFolder(path: $0) }
                let principal = try await server.auth.consoleOfficerTrustingTheKeyFile(username: officer)
                let request = GateRequest(principal: principal, requestID: "console-letters-\(UUID().uuidString)", source: "console",
                                          purpose: LetterWriter.purpose)
                let (_, scope, batch) = try await BreachResponse.letters(incident: incident, gate: server.gate, store: server.store,
                                                                         contact: server.breachContact, language: language, request)
                note("letters: \(batch.letters.count) for \(Counted.english(scope.persons.count, "person")) concerned, \(batch.unreachable.count) without a readable contact\(batch.damaged.isEmpty ? "" : " (\(batch.damaged.count) whose stored data failed its integrity check: restore it from a backup)"); art. 34(3)(a) \(batch.article34Exemption ? "applies" : "does not apply")")
                if !batch.damaged.isEmpty { note("letters: stored data that failed its integrity check, persons \(batch.damaged.map(\.rawValue).joined(separator: ", "))") }
                if batch.contactMissing { note("letters: no contact point is configured (securityContact in guichet.yaml): the letters say it is to be completed, and are not sent") }
                if let folder {
                    let n = try await folder.write(batch, store: server.store, by: principal.account)
                    note("letters: \(Counted.english(n, "file")) in \(folder.url.path) (readable by this user only)")
                }
                if send {
                    guard let mailer = server.auth.mailer else { throw CommandError(MailError.notConfigured.description) }
                    let delivery = try await BreachResponse.send(batch, with: mailer, store: server.store, by: principal.account, via: " by the console")
                    note("letters: \(delivery.sent) e-mailed, \(delivery.failed.count) failed, \(delivery.withoutEmail.count) without an e-mail address")
                    if !delivery.failed.isEmpty { throw CommandError("\(Counted.english(delivery.failed.count, "letter")) could not be sent; run again after fixing the relay") }
                }
            } catch let e as GuichetError { throw CommandError(e.description) }
        }
    }
}

extension Ledger {
    /// `guichet ledger history --person ID`: every access to a person's dossiers, with proofs.
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every access to a person and their dossiers, as JSON, each entry with an inclusion proof against the latest signed checkpoint.")
        @OptionGroup var options: Options
        @Option(help: "Person id.") var person: String
        @Option(help: "fr or en, for field labels.") var language: String?

        func validate() throws {
            guard PersonID(validating: person) != nil else { throw ValidationError("--person is not a valid person id") }
            if let language, !["fr", "en"].contains(language) { throw ValidationError("--language must be fr or en") }
        }

        func run() async throws {
            let server = try await options.open()
            Breach.print(try await BreachResponse.history(of: PersonID(trusted: person), account: nil, gate: server.gate, store: server.store,
                                                          language: language ?? server.profile.defaultLanguage))
        }
    }
}
