public import GuichetCore
public import GuichetStore
public import GuichetLedger
public import GuichetGate
import Foundation

/// Where a letter goes: a person's name and contact, opened through the gate.
public struct LetterRecipient: Sendable {
    public let person: PersonID
    public let name: String
    public let email: String?
    public let address: String?
}

/// One notification letter (GDPR art. 34) for one person concerned: only that person's
/// exposed fields, as labels, never values.
public struct NotificationLetter: Sendable {
    public let person: PersonID
    public let language: String
    /// Labels of the fields exposed for this person (their own and their dossiers').
    public let fieldLabels: [String]
    /// The persons the letter is delivered to: the person, or for a person without contact
    /// (a child) the other persons of their dossiers (parents).
    public let recipients: [LetterRecipient]
    /// Printable HTML.
    public let html: String
    /// Plain text (e-mail body).
    public let text: String
    public let subject: String
}

/// Letters for every person in a breach scope.
public struct LetterBatch: Sendable {
    public let incident: BreachIncidentRecord
    public let letters: [NotificationLetter]
    /// Art. 34(3)(a): the exposed fields were encrypted and the keys were not exposed.
    public let article34Exemption: Bool
    /// Persons for whom no contact could be opened (listed by id; to be reached otherwise),
    /// those of ``damaged`` included.
    public let unreachable: [PersonID]
    /// Persons whose stored data did not open with its key (changed or swapped in the
    /// database): no letter, and the data to restore from a backup (BREACH.md).
    public var damaged: [PersonID] = []
    /// No contact point is configured (`securityContact`): the letters say it is to be
    /// completed, and are not sent (art. 34(2) asks them to name one).
    public var contactMissing = false
    public var note: String {
        article34Exemption
            ? "Art. 34(3)(a) applies: the exposed fields were encrypted and the keys were not exposed; notifying the persons is not required (these letters are optional)."
            : "Art. 34(3)(a) does not apply: the persons concerned must be notified without undue delay (art. 34(1))."
    }
}

/// Writes notification letters. Opening the addressees' names and contacts goes through the
/// gate with the purpose `breach-notification`, so every opening is journalled and allowed
/// only by the profile's policy.
public struct LetterWriter: Sendable {
    public static let purpose = "breach-notification"
    let gate: Gate
    let store: any GateStorage & BreachStorage
    let contact: String

    /// - Parameter contact: whom the persons may contact (the deployment's security contact or DPO).
    public init(gate: Gate, store: any GateStorage & BreachStorage, contact: String) { self.gate = gate; self.store = store; self.contact = contact }

    /// Letters for every person of the scope, in `language` (default: the profile's).
    /// - Throws: ``GuichetError/invalid(_:)`` when the request does not state the purpose
    ///   `breach-notification` or the language is not fr or en.
    public func letters(incident: BreachIncidentRecord, scope: BreachScope, language: String?, _ r: GateRequest) async throws -> LetterBatch {
        guard r.purpose == Self.purpose else {
            throw GuichetError.invalid("letters open names and contacts: state the purpose '\(Self.purpose)' (Guichet-Purpose header)")
        }
        let language = language ?? gate.profile.defaultLanguage
        guard ["fr", "en"].contains(language) else { throw GuichetError.invalid("'language' must be fr or en") }
        // The whole batch against the ceiling before any person is opened: the persons of the
        // scope, and those of their files who may stand in for one without a contact.
        var candidates = Set(scope.persons.map(\.person))
        for p in scope.persons {
            for d in try await store.dossiers(p.dossiers) {
                let role = d.persons.first { $0.person == p.person }?.role
                for link in d.persons where link.role != role { candidates.insert(link.person) }
            }
        }
        try await gate.watchLetters(candidates.sorted { $0.rawValue < $1.rawValue }, r)
        var opened: [PersonID: LetterRecipient?] = [:]
        var damaged: Set<PersonID> = []
        func open(_ id: PersonID) async throws -> LetterRecipient? {
            if let known = opened[id] { return known }
            var recipient: LetterRecipient?
            do {
                let fields = try await gate.readPerson(id, r).fields
                func text(_ k: String) -> String? { fields[k]?.revealedJSON.string }
                let name = [text("firstName"), text("lastName")].compactMap { $0 }.joined(separator: " ")
                recipient = LetterRecipient(person: id, name: name, email: text("email"), address: text("address"))
            } catch GuichetError.notFound {
                recipient = nil  // not readable for this purpose: reached otherwise
            } catch GuichetError.unavailable(let message) where message == Gate.integrityFailure {
                // One damaged row (an intruder's edit) does not stop the letters of everyone
                // else (an incident audit: no letter at all, and no name); it is named instead.
                recipient = nil
                damaged.insert(id)
            }
            opened[id] = .some(recipient)
            return recipient
        }
        // What the same accesses did beyond looking (an incident audit: the person whose file
        // the intruder changed, and those whose data left in an export, were told only that it
        // was viewed), indexed once: a scope holds up to millions of events and persons.
        let exportedPersons = Set(scope.events.lazy.filter { $0.allowed && $0.action == "partner-export" }.flatMap(\.persons))
        var changedByPerson: [PersonID: Set<String>] = [:], changedByDossier: [DossierID: Set<String>] = [:]
        for w in scope.writes {
            for p in w.persons { changedByPerson[p, default: []].formUnion(w.fields) }
            for d in w.dossiers { changedByDossier[d, default: []].formUnion(w.fields) }
        }
        var letters: [NotificationLetter] = []
        var unreachable: [PersonID] = []
        for p in scope.persons {
            guard let own = try await open(p.person) else { unreachable.append(p.person); continue }
            var recipients = [own]
            if own.email == nil && own.address == nil {
                recipients = []
                for d in try await store.dossiers(p.dossiers) {
                    let role = d.persons.first { $0.person == p.person }?.role
                    for link in d.persons where link.person != p.person && link.role != role {
                        if let g = try await open(link.person), g.email != nil || g.address != nil, !recipients.contains(where: { $0.person == g.person }) {
                            recipients.append(g)
                        }
                    }
                }
                if recipients.isEmpty { unreachable.append(p.person); continue }
            }
            let labels = (p.fields + p.dossierFields).map { Labels.field($0, language: language, profile: gate.profile) }
            let touched = [changedByPerson[p.person]] + p.dossiers.map { changedByDossier[$0] }
            let changed = touched.contains { $0 != nil }
                ? touched.reduce(into: Set<String>()) { $0.formUnion($1 ?? []) }.sorted().map { Labels.field($0, language: language, profile: gate.profile) }
                : nil
            letters.append(render(person: p, about: own, to: recipients, labels: labels, incident: incident, language: language,
                                  changed: changed, exported: exportedPersons.contains(p.person)))
        }
        var batch = LetterBatch(incident: incident, letters: letters, article34Exemption: incident.encryptedAndKeysSafe, unreachable: unreachable)
        batch.contactMissing = contact.trimmingCharacters(in: .whitespaces).isEmpty
        batch.damaged = unreachable.filter(damaged.contains)
        return batch
    }

    /// - Parameters:
    ///   - changed: labels of the fields the same accesses changed in the person's files (nil:
    ///     nothing was changed; empty: a change whose fields the ledger does not name).
    ///   - exported: the person's data was put in an export file that was downloaded.
    func render(person p: ExposedPerson, about: LetterRecipient, to recipients: [LetterRecipient], labels: [String],
                incident: BreachIncidentRecord, language: String, changed: [String]? = nil, exported: Bool = false) -> NotificationLetter {
        let fr = language == "fr"
        let forSomeoneElse = recipients.first?.person != about.person
        let title = gate.profile.title[language] ?? gate.profile.name
        let day = { (d: Date) in LetterWriter.writtenDay(d, language: language) }
        let subject = fr ? "\(title) : violation de données personnelles vous concernant" : "\(title): a personal data breach concerning you"
        let greeting = fr
            ? (forSomeoneElse ? "Aux parents ou représentants légaux de \(about.name)," : "Madame, Monsieur,")  // the name is in the address block above; "Madame, Monsieur Nathalie Blanc," is not French
            : (forSomeoneElse ? "To the parents or legal guardians of \(about.name)," : "Dear \(about.name),")
        var paragraphs: [(heading: String, body: [String])] = []
        let viewed: String = day(p.firstAt) == day(p.lastAt)
            ? (fr ? "Le \(day(p.firstAt)), des données \(forSomeoneElse ? "concernant \(about.name)" : "vous concernant") ont été consultées sans droit."
                  : "On \(day(p.firstAt)), data \(forSomeoneElse ? "about \(about.name)" : "about you") was viewed without right.")
            : (fr ? "Entre le \(day(p.firstAt)) et le \(day(p.lastAt)), des données \(forSomeoneElse ? "concernant \(about.name)" : "vous concernant") ont été consultées sans droit."
                  : "Between \(day(p.firstAt)) and \(day(p.lastAt)), data \(forSomeoneElse ? "about \(about.name)" : "about you") was viewed without right.")
        var happened = [viewed]
        if exported {
            happened.append(fr ? "Une copie de ces données a été mise dans un fichier d'export, qui a été téléchargé : elle a pu être copiée ailleurs."
                               : "A copy of this data was put in an export file, which was downloaded: it may have been copied elsewhere.")
        }
        if let changed {
            let which: String = fr
                ? (forSomeoneElse ? "Le dossier de \(about.name) a aussi été modifié par ces accès" : "Votre dossier a aussi été modifié par ces accès")
                : (forSomeoneElse ? "The file of \(about.name) was also changed by these accesses" : "Your file was also changed by these accesses")
            let fields = changed.isEmpty ? "." : " (" + changed.joined(separator: ", ") + ")."
            happened.append(which + fields + (fr ? " Vérifiez-le dans votre espace personnel, ou demandez-nous de le corriger."
                                                 : " Check it in your personal space, or ask us to correct it."))
        }
        // The nature the officer recorded, in a sentence of its own (it may be one word).
        happened.append((fr ? "Nature de la violation : " : "Nature of the breach: ") + Self.sentence(incident.nature))
        happened.append(fr ? "Nous l'avons constaté le \(day(incident.detectedAt))." : "We found this on \(day(incident.detectedAt)).")
        paragraphs.append((fr ? "Ce qui s'est passé" : "What happened", happened))
        paragraphs.append((fr ? "Les informations consultées" : "The information viewed", [
            fr ? "Notre journal des accès, infalsifiable, montre exactement quelles informations ont été vues. Il s'agit de :"
               : "Our tamper-evident access ledger shows exactly which information was seen. It is:",
        ]))
        paragraphs.append((fr ? "Conséquences probables" : "Likely consequences", [incident.consequences.isEmpty
            ? (fr ? "Ces informations pourraient être utilisées pour vous contacter en se faisant passer pour nous." : "This information could be used to contact you while pretending to be us.")
            : incident.consequences]))
        // Only the measures the officer recorded (art. 34(2), 33(3)(d)): none recorded, no
        // paragraph, rather than a claim nobody checked; the letters page warns of it.
        if !incident.remedial.isEmpty {
            paragraphs.append((fr ? "Ce que nous avons fait" : "What we have done", [incident.remedial]))
        }
        paragraphs.append((fr ? "Ce que vous pouvez faire" : "What you can do", [
            fr ? "Soyez vigilant face aux tentatives d'hameçonnage : messages, appels ou SMS qui se réclameraient de nous ; nous ne vous demanderons jamais votre mot de passe, un code reçu par SMS ou vos coordonnées bancaires. Ne cliquez pas sur les liens d'un message inattendu ; en cas de doute, contactez-nous par les coordonnées ci-dessous."
               : "Be wary of phishing: messages, calls or texts claiming to come from us; we will never ask for your password, a code you received by text, or your bank details. Do not click links in an unexpected message; if in doubt, contact us at the address below.",
            fr ? "Vous pouvez consulter, dans votre espace personnel, l'historique de chaque accès à votre dossier, et introduire une réclamation auprès de l'autorité de contrôle."
               : "In your personal space you can see every access to your file, and you may lodge a complaint with the supervisory authority.",
            // Persons imported from an earlier system have no account yet (an incident audit).
            fr ? "Si vous n'avez pas encore de compte, demandez-nous aux coordonnées ci-dessous comment accéder à votre dossier."
               : "If you have no account yet, ask us at the address below how to reach your file.",
        ]))
        let missing = fr ? "[à compléter : le point de contact (securityContact dans guichet.yaml)]"
                         : "[to be completed: the contact point (securityContact in guichet.yaml)]"
        paragraphs.append((fr ? "Nous contacter" : "Contact us", [contact.trimmingCharacters(in: .whitespaces).isEmpty ? missing : contact]))
        let h = Labels.html
        var html = "<!DOCTYPE html>\n<html lang=\"\(language)\"><head><meta charset=\"utf-8\"><title>\(h(subject))</title>"
        html += "<style>body{font-family:serif;max-width:40em;margin:2em auto;line-height:1.4}@media print{body{margin:0}}</style></head><body>\n"
        html += "<p class=\"reference\">\(fr ? "Référence" : "Reference") : \(h(incident.id))</p>\n"
        for r in recipients {
            html += "<address>\(h(r.name))" + (r.address.map { "<br>\(h($0))" } ?? "") + (r.email.map { "<br>\(h($0))" } ?? "") + "</address>\n"
        }
        html += "<h1>\(h(subject))</h1>\n<p>\(h(greeting))</p>\n"
        var text = "\(greeting)\n\n"
        for (i, para) in paragraphs.enumerated() {
            html += "<h2>\(h(para.heading))</h2>\n" + para.body.map { "<p>\(h($0))</p>\n" }.joined()
            text += "\(para.heading)\n" + para.body.joined(separator: "\n") + "\n"
            if i == 1 {
                html += "<ul>\n" + labels.map { "<li>\(h($0))</li>\n" }.joined() + "</ul>\n"
                text += labels.map { "- \($0)\n" }.joined()
            }
            text += "\n"
        }
        html += "</body></html>\n"
        return NotificationLetter(person: p.person, language: language, fieldLabels: labels, recipients: recipients, html: html, text: text, subject: subject)
    }

    /// A day as a letter writes it, in UTC as the ledger keeps it: "1er décembre 2026",
    /// "6 décembre 2026"; "6 December 2026".
    static func writtenDay(_ date: Date, language: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!  // a fixed, always known zone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        let (year, month, day) = (c.year ?? 1970, c.month ?? 1, c.day ?? 1)
        if language == "fr" {
            let months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
            return "\(day == 1 ? "1er" : String(day)) \(months[month - 1]) \(year)"
        }
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        return "\(day) \(months[month - 1]) \(year)"
    }

    /// A recorded text as a sentence: trimmed, ending with a full stop unless it ends with one.
    static func sentence(_ text: String) -> String {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let last = t.last else { return t }
        return ".!?…".contains(last) ? t : t + "."
    }
}
