public import GuichetCore
public import GuichetMail
import GuichetStore

/// What happened to the e-mail copies of a batch of letters. Names persons by id and
/// addresses masked (`c***@example.org`), never in clear.
public struct LetterDelivery: Sendable {
    /// Messages the relay accepted.
    public let sent: Int
    /// Letters that have no recipient with an e-mail address (to be posted).
    public let withoutEmail: [PersonID]
    /// Messages the relay refused or could not take: the letter's person, the masked address
    /// and the reason (no address or content in it).
    public let failed: [(person: PersonID, to: String, reason: String)]
}

extension LetterBatch {
    /// Sends each letter by e-mail to each of its recipients that has an address, as a plain
    /// text part and the printable HTML, in the letter's language. A failure for one recipient
    /// does not stop the others.
    public func send(with mailer: any Mailer) async -> LetterDelivery {
        var sent = 0
        var withoutEmail: [PersonID] = []
        var failed: [(PersonID, String, String)] = []
        for letter in letters {
            let addresses = letter.recipients.compactMap(\.email)
            if addresses.isEmpty { withoutEmail.append(letter.person); continue }
            for text in addresses {
                guard let to = try? MailAddress(text) else {
                    failed.append((letter.person, "(invalid address)", MailError.invalidAddress.description))
                    continue
                }
                do {
                    try await mailer.send(MailMessage(from: mailer.sender, to: to, subject: letter.subject, text: letter.text,
                                                      html: letter.html, language: letter.language))
                    sent += 1
                } catch let error as MailError {
                    failed.append((letter.person, to.masked, error.description))
                } catch {
                    failed.append((letter.person, to.masked, "the message could not be sent"))
                }
            }
        }
        return LetterDelivery(sent: sent, withoutEmail: withoutEmail, failed: failed)
    }
}

extension BreachRegister {
    /// Records a fact about an incident in its changes (for example that letters were sent).
    /// - Throws: ``GuichetError/notFound`` for an unknown incident.
    public func note(_ id: String, _ change: String, by: AccountID?) async throws {
        _ = try await incident(id)
        try await store.appendIncidentChange(id, change: change, at: clock(), by: by)
    }
}
