import Foundation
import Logging
import Testing
import GuichetCore
import GuichetGate
import GuichetMail
import GuichetStore

/// The notices transitions owe (R1: "a place is offered to you") go through an outbox written
/// with the transition: a relay that is down delays them, never loses them; a real SMTP server
/// (aiosmtpd) is the relay, stopped and started again on its port.
@Suite(.serialized) struct NoticeOutboxTests {
    struct Setup {
        let world: World
        let clock: ManualClock
        let log: LogCapture
        let outbox: NoticeOutbox
        let port: Int
        let application: DossierID
    }

    /// A place05 registry whose mail relay is down (a port where nothing listens any more), a
    /// parent's application, and the daycare's offer on it.
    static func offerWithRelayDown() async throws -> Setup {
        let gone = try SMTPSink()
        let port = gone.port
        gone.stop()
        let clock = ManualClock()
        let mailer = try SMTPMailer(host: "127.0.0.1", port: port, sender: try MailAddress("guichet@registre.example"))
        let world = try await World.make(mailer: mailer, clock: clock.function)
        _ = try await world.registerParent("parent1")
        let made = try await world.application(by: "parent1", daycares: [0])
        _ = try await world.gate.transition(made.id, "offer", try await world.request("daycare1"))
        let log = LogCapture()
        let outbox = NoticeOutbox(gate: world.gate, mailer: mailer, logger: Logger(label: "test") { _ in log.handler })
        return Setup(world: world, clock: clock, log: log, outbox: outbox, port: port, application: made.id)
    }

    @Test("an offer made while the relay is down is in the outbox at once, and mailed once the relay is back, once")
    func relayDownThenBack() async throws {
        let s = try await Self.offerWithRelayDown()
        defer { s.world.remove() }
        #expect(try await s.world.noticeCounts() == ["pending": 1], "the acknowledged offer owes its notice before any sender ran")

        let first = try await s.outbox.sendDue()
        #expect(first == NoticeOutbox.Round(sent: 0, retried: 1, failed: 0, superseded: 0))
        #expect(s.log.text.contains("tried again") && !s.log.text.contains("parent1@example.org"), "logged without the address: \(s.log.text)")

        let sink = try SMTPSink(port: s.port)
        defer { sink.stop() }
        #expect(try await s.outbox.sendDue() == NoticeOutbox.Round(), "not due before its delay")
        s.clock.advance(NoticeOutbox.delays[0] + 1)
        #expect(try await s.outbox.sendDue().sent == 1)
        let mails = try sink.messages()
        #expect(mails.count == 1 && mails[0].rcptTos == ["parent1@example.org"], "\(mails.map(\.rcptTos))")
        #expect(mails.first?.subject.contains("Place 0-5") == true && mails.first?.text?.contains("Tremblay") == false, "no personal value in the text")
        s.clock.advance(3_600)
        #expect(try await s.outbox.sendDue() == NoticeOutbox.Round(), "sent once")
        #expect(try sink.messages().count == 1)
        #expect(try await s.world.noticeCounts() == ["sent": 1])
        // Each attempt opened the address through the gate: two system entries name the parent's e-mail.
        let notices = try await s.world.ledger.journal().filter { $0.account == nil && $0.dossiers == [s.application] && $0.action == "transition:offer" }
        #expect(notices.count == 2, "\(notices.map(\.action))")
    }

    @Test("an offer withdrawn before its notice could go is not mailed")
    func withdrawnOfferIsNotMailed() async throws {
        let s = try await Self.offerWithRelayDown()
        defer { s.world.remove() }
        _ = try await s.world.gate.transition(s.application, "withdraw", try await s.world.request("parent1"))
        let sink = try SMTPSink(port: s.port)
        defer { sink.stop() }
        #expect(try await s.outbox.sendDue() == NoticeOutbox.Round(sent: 0, retried: 0, failed: 0, superseded: 1))
        #expect(try sink.messages().isEmpty)
        #expect(try await s.world.noticeCounts() == ["superseded": 1])
    }

    @Test("a relay down for more than a day: the notice is tried at growing intervals, then given up and logged without personal values")
    func givenUpAfterADay() async throws {
        let s = try await Self.offerWithRelayDown()
        defer { s.world.remove() }
        var attempts = 0
        for delay in NoticeOutbox.delays + [0] {
            let round = try await s.outbox.sendDue()
            attempts += round.retried + round.failed
            s.clock.advance(delay + 1)
        }
        #expect(attempts == NoticeOutbox.delays.count + 1)
        #expect(try await s.world.noticeCounts() == ["failed": 1])
        #expect(NoticeOutbox.delays.reduce(0, +) >= 24 * 3_600, "tried for at least a day")
        #expect(s.log.text.contains("given up") && s.log.text.contains(s.application.rawValue) && !s.log.text.contains("@example.org"))
    }
}
