import Foundation
import Testing
@testable import GuichetMail

/// E-mail goes out through a real SMTP server (aiosmtpd) and is read back by Python's parser.
@Suite(.serialized)
struct MailTests {
    @Test("a message with accents, an HTML part and a dotted line arrives intact at a real SMTP server")
    func deliversToARealServer() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        var mailer = try SMTPMailer(host: "127.0.0.1", port: sink.port, sender: try MailAddress("guichet@registre.example"))
        // The sink is a Python process on a machine busy with the rest of the suite (CI once
        // saw it take over the relay's 30 s): what is tested here is the message, not the delay.
        mailer.timeout = .seconds(120)
        let text = "Bonjour,\n.\nUne ligne qui commence par un point, et des accents : é à ç œ.\n-- \nGuichet"
        let message = MailMessage(from: mailer.sender, to: try MailAddress("titulaire@exemple.example"),
                                  subject: "Réinitialisation de votre mot de passe — Guichet",
                                  text: text, html: "<p>Bonjour, <b>é</b></p>", language: "fr")
        try await mailer.send(message)
        let received = try sink.messages()
        try #require(received.count == 1)
        let m = received[0]
        #expect(m.mailFrom == "guichet@registre.example" && m.rcptTos == ["titulaire@exemple.example"])
        #expect(m.subject == "Réinitialisation de votre mot de passe — Guichet")
        #expect(m.defects.isEmpty)
        #expect(m.language == "fr")
        #expect(m.text?.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .newlines) == text)
        #expect(m.html?.contains("<b>é</b>") == true)
    }

    @Test("addresses that could inject a header or a command are refused", arguments: [
        "a@b", "nobody", "a b@example.org", "a@example.org\r\nBcc: x@example.org", "<a@example.org>", "a@@example.org", "",
    ])
    func badAddresses(_ value: String) {
        #expect(throws: MailError.invalidAddress) { try MailAddress(value) }
    }

    @Test("a relay off loopback is refused unless allowed, and an absent relay is a clear error")
    func relayChecks() async throws {
        let sender = try MailAddress("guichet@registre.example")
        #expect(throws: MailError.self) { try SMTPMailer(host: "192.0.2.10", sender: sender) }
        _ = try SMTPMailer(host: "192.0.2.10", sender: sender, allowRemote: true)
        // A closed port on loopback: nothing listens there.
        let socket = try ClosedPort()
        let mailer = try SMTPMailer(host: "127.0.0.1", port: socket.port, sender: sender)
        await #expect(throws: MailError.unreachable("127.0.0.1:\(socket.port)")) {
            try await mailer.send(MailMessage(from: sender, to: sender, subject: "x", text: "x"))
        }
    }

    @Test("a masked address keeps only the first letter of the local part")
    func masked() throws {
        #expect(try MailAddress("camille.exemple@exemple.example").masked == "c***@exemple.example")
    }
}

/// A loopback port with nothing listening: bound, then released.
struct ClosedPort {
    let port: Int
    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = Int(UInt16(bigEndian: addr.sin_port))
    }
}
