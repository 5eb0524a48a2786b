public import GuichetMail
import GuichetStore
import GuichetCore
import Foundation
public import Logging

/// Sends the notices transitions owe (R1: "a place is offered to you"), from the outbox the
/// transition wrote in its own transaction. Delivery is at least once: a notice stays in the
/// outbox until the relay has accepted every message, is tried again with a growing delay
/// when the relay is down, and is given up (logged, counted) only after a day of attempts.
/// A notice whose dossier has left the transition's state (an offer withdrawn meanwhile) is
/// not sent. Several servers may share the database: a claimed notice is held for a lease.
public struct NoticeOutbox: Sendable {
    let gate: Gate
    let mailer: any Mailer
    let logger: Logger
    /// Delays between attempts: the last one is followed by giving up.
    public static let delays: [Double] = [30, 120, 600, 1_800, 3_600, 3 * 3_600, 6 * 3_600, 12 * 3_600, 12 * 3_600]

    public init(gate: Gate, mailer: any Mailer, logger: Logger) { self.gate = gate; self.mailer = mailer; self.logger = logger }

    /// How a round went.
    public struct Round: Sendable, Equatable {
        public var sent = 0, retried = 0, failed = 0, superseded = 0
        public init(sent: Int = 0, retried: Int = 0, failed: Int = 0, superseded: Int = 0) {
            self.sent = sent; self.retried = retried; self.failed = failed; self.superseded = superseded
        }
    }

    /// Sends every notice that is due now (up to `limit`).
    public func sendDue(limit: Int = 50) async throws -> Round {
        var round = Round()
        let now = gate.clock()
        for notice in try await gate.store.claimDueNotices(now: now, limit: limit, lease: 300) {
            let outcome: String
            var retryAt: Date?
            do {
                switch try await gate.noticeMail(notice) {
                case .superseded:
                    outcome = "superseded"; round.superseded += 1
                case .mail(let mail):
                    for address in mail.addresses {
                        guard let to = try? MailAddress(address) else { continue }  // not an address: nothing a retry would change
                        try await mailer.send(MailMessage(from: mailer.sender, to: to, subject: mail.subject, text: mail.text, language: mail.language))
                    }
                    outcome = "sent"; round.sent += 1
                }
            } catch {
                let attempt = notice.attempts + 1
                let kind = (error as? MailError).map { "\($0)" } ?? String(describing: type(of: error))
                if attempt <= Self.delays.count {
                    outcome = "pending"; retryAt = gate.clock().addingTimeInterval(Self.delays[attempt - 1]); round.retried += 1
                    logger.warning("a notice e-mail could not be sent; it will be tried again",
                                   metadata: ["dossier": .string(notice.dossier.rawValue), "transition": .string(notice.transition),
                                              "attempt": .stringConvertible(attempt), "error": .string(kind)])
                } else {
                    outcome = "failed"; round.failed += 1
                    logger.error("a notice e-mail was given up after a day of attempts",
                                 metadata: ["dossier": .string(notice.dossier.rawValue), "transition": .string(notice.transition),
                                            "attempts": .stringConvertible(attempt), "error": .string(kind)])
                }
            }
            try await gate.store.noticeAttempted(notice, status: outcome, retryAt: retryAt, at: gate.clock())
        }
        return round
    }
}
