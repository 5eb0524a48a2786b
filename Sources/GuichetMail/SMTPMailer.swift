import Foundation
import NIOCore
import NIOPosix

/// Hands messages to an SMTP relay (RFC 5321): EHLO, MAIL FROM, RCPT TO, DATA, QUIT.
///
/// Guichet speaks plain SMTP to a relay on the same host or a trusted network (a local
/// Postfix or the body's own relay), which takes care of TLS to the outside world. A relay off
/// loopback is refused unless explicitly allowed (see ``init(host:port:sender:allowRemote:)``).
public struct SMTPMailer: Mailer {
    public let host: String
    public let port: Int
    public let sender: MailAddress
    public var timeout: Duration = .seconds(30)
    /// The name announced in EHLO.
    public var heloName = "guichet.localhost"

    /// - Throws: ``MailError/unreachable(_:)`` when the relay is off loopback and `allowRemote`
    ///   is not set: messages would cross the network without TLS.
    public init(host: String, port: Int = 25, sender: MailAddress, allowRemote: Bool = false) throws {
        let loopback = host == "localhost" || host == "::1" || host.hasPrefix("127.")
        guard loopback || allowRemote else {
            throw MailError.unreachable("\(host) (off loopback: Guichet does not speak TLS to a relay; use a local relay, or allow it explicitly)")
        }
        self.host = host; self.port = port; self.sender = sender
    }

    public func send(_ message: MailMessage) async throws {
        let relay = "\(host):\(port)"
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
        } catch {
            throw MailError.unreachable(relay)
        }
        let helo = heloName, limit = timeout
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var replies = ReplyReader(iterator: inbound.makeAsyncIterator())
                    func step(_ name: String, _ command: String?, expect codes: Set<Int>) async throws {
                        if let command { try await outbound.write(ByteBuffer(string: command + "\r\n")) }
                        let code = try await replies.next()
                        guard codes.contains(code) else { throw MailError.refused(step: name, code: code) }
                    }
                    try await step("greeting", nil, expect: [220])
                    try await step("EHLO", "EHLO \(helo)", expect: [250])
                    try await step("MAIL FROM", "MAIL FROM:<\(message.from.value)>", expect: [250])
                    try await step("RCPT TO", "RCPT TO:<\(message.to.value)>", expect: [250, 251])
                    try await step("DATA", "DATA", expect: [354])
                    try await step("end of data", Self.dotStuffed(message.rendered()) + ".", expect: [250])
                    try? await step("QUIT", "QUIT", expect: [221])
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    throw MailError.timeout
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Doubles a leading dot on every line (RFC 5321 §4.5.2), so that content cannot end DATA.
    static func dotStuffed(_ data: String) -> String {
        data.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
    }
}

/// Reads SMTP replies, multi-line ones included (`250-...` lines up to `250 ...`).
struct ReplyReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var pending = ""

    /// The code of the next complete reply.
    mutating func next() async throws -> Int {
        while true {
            while let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                guard line.count >= 3, let code = Int(line.prefix(3)) else { throw MailError.protocolError }
                if line.count == 3 || line.dropFirst(3).first == " " { return code }
                guard line.dropFirst(3).first == "-" else { throw MailError.protocolError }
            }
            guard var buffer = try await iterator.next() else { throw MailError.protocolError }
            pending += buffer.readString(length: buffer.readableBytes) ?? ""
            guard pending.utf8.count < 64 * 1024 else { throw MailError.protocolError }
        }
    }
}
