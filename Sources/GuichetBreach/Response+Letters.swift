public import GuichetCore
public import GuichetStore
public import GuichetLedger
public import GuichetGate
public import GuichetMail
public import Foundation

/// The letters of an incident and a citizen's access history, written once for the admin
/// API, the citizens' page and the command line.
extension BreachResponse {
    /// The letters to the persons concerned by an incident (GDPR art. 34), from the scope of
    /// its query over the ledger as it is now. Names and contacts are opened through the gate
    /// as `request`, which must state the purpose `breach-notification`.
    /// - Throws: ``GuichetError/notFound`` for an unknown incident; the gate's refusals.
    public static func letters(incident id: String, gate: Gate, store: any GateStorage & BreachStorage, contact: String, language: String?,
                               _ request: GateRequest) async throws -> (incident: BreachIncidentRecord, scope: BreachScope, batch: LetterBatch) {
        let incident = try await BreachRegister(store: store).incident(id)
        let scope = try await scopeNow(gate, try incident.scopeQuery())
        // More persons than the officer's ceiling lets a session open: refused before any is
        // opened, with the way that works (an incident audit: the pages opened 50 of 85, then
        // throttled the only officer in the middle of the response).
        if let most = await gate.mostPersonsAtOnce(request), scope.persons.count > most {
            throw GuichetError.conflict("this incident concerns \(scope.persons.count) persons, more than the \(most) a security officer may open from a session: "
                + "write its letters on the console, which holds the key file: guichet breach letters --data DIR --incident \(incident.id) --as YOUR_USER_NAME --out FOLDER")
        }
        let batch = try await LetterWriter(gate: gate, store: store, contact: contact).letters(incident: incident, scope: scope, language: language, request)
        return (incident, scope, batch)
    }

    /// The draft notification to the supervisory authority (GDPR art. 33) for an incident,
    /// from the scope of its query over the ledger as it is now.
    /// - Throws: ``GuichetError/notFound`` for an unknown incident.
    public static func report(incident id: String, gate: Gate, store: any GateStorage & BreachStorage, contact: String, now: Date = Date()) async throws
        -> (incident: BreachIncidentRecord, scope: BreachScope, report: RegulatorReport) {
        let incident = try await BreachRegister(store: store).incident(id)
        let scope = try await scopeNow(gate, try incident.scopeQuery())
        return (incident, scope, RegulatorReport(incident: incident, scope: scope, profile: gate.profile, contact: contact, now: now))
    }

    /// Why letters without a contact point are not sent.
    public static let noContact = "the letters name no contact point, which art. 34(2) requires: set securityContact in guichet.yaml and restart the server, then send them; none was sent"

    /// E-mails a batch of letters and records in the incident's changes how many went, how
    /// many failed and how many are to be reached otherwise.
    /// - Parameter by: the security officer's account; `via` says through what (the console, the API).
    /// - Throws: ``GuichetError/conflict(_:)`` when the letters name no contact point: none is sent.
    public static func send(_ batch: LetterBatch, with mailer: any Mailer, store: any GateStorage & BreachStorage, by: AccountID?, via: String) async throws -> LetterDelivery {
        guard !batch.contactMissing else { throw GuichetError.conflict(noContact) }
        let delivery = await batch.send(with: mailer)
        try await BreachRegister(store: store).note(batch.incident.id, "letters e-mailed\(via): \(delivery.sent) sent, \(delivery.failed.count) failed, "
                                                    + "\(delivery.withoutEmail.count + batch.unreachable.count) to reach otherwise", by: by)
        return delivery
    }

    /// A person's access history (C15): every access to them and to the dossiers that link
    /// them, newest page after `after`, each entry with its inclusion proof against the latest
    /// signed checkpoint, staff shown as role and organisation only.
    /// - Parameters:
    ///   - account: the citizen's own account (their own accesses read "you"), or nil.
    ///   - language: `fr` or `en`, for field labels.
    /// - Throws: ``GuichetError/invalid(_:)`` for another language.
    public static func history(of person: PersonID, account: AccountID?, gate: Gate, store: any GateStorage & BreachStorage, language: String,
                               after: Int64? = nil, limit: Int = LedgerAuditor.maxHistoryEntries) async throws -> JSON {
        guard ["fr", "en"].contains(language) else { throw GuichetError.invalid("'language' must be fr or en") }
        let dossiers = try await store.dossierIDs(linking: person)
        let history = try await gate.auditor.history(persons: [person], dossiers: dossiers, account: account, after: after, limit: limit)
        return try await HistoryView.json(history, store: store, language: language, profile: gate.profile)
    }
}

/// A folder that receives printable letters: the operator's alone (mode 700), since letters
/// name people. Checked when made, before any name is opened.
public struct LetterFolder: Sendable {
    public let url: URL

    /// Creates the folder if missing (mode 700).
    /// - Throws: ``GuichetError/invalid(_:)`` when other users can read it.
    public init(path: String) throws {
        let folder = URL(fileURLWithPath: path, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let mode = try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int ?? 0o777
        guard mode & 0o077 == 0 else { throw GuichetError.invalid("\(folder.path) can be read by other users: give a folder of your own (mode 700)") }
        url = folder
    }

    /// Writes one HTML file per letter (`PERSON.LANGUAGE.html`, mode 600, never over an
    /// existing file) and records it in the incident's changes.
    /// - Returns: the number of files written.
    public func write(_ batch: LetterBatch, store: any GateStorage & BreachStorage, by: AccountID?) async throws -> Int {
        for letter in batch.letters {
            let file = url.appendingPathComponent("\(letter.person.rawValue).\(letter.language).html")
            try Data(letter.html.utf8).write(to: file, options: .withoutOverwriting)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        }
        try await BreachRegister(store: store).note(batch.incident.id, "letters written to files by the console: \(batch.letters.count)", by: by)
        return batch.letters.count
    }
}
