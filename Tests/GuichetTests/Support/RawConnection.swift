import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client TCP connection on a real IPv4 socket, for tests about connections themselves
/// (timeouts, caps, a Host no client library would send). Non-blocking: waiting sleeps the task
/// instead of a thread of Swift's small concurrency pool, which the server under test needs.
/// Closed once only: the server under test runs in the same process, so a second `close` of a
/// reused descriptor number would close one of its sockets.
final class RawConnection {
    struct Failure: Error, CustomStringConvertible { let description: String }

    private var fd: Int32

    /// Connects to `127.0.0.1:port`, from `source` (another loopback address, `127.0.0.2`) when given.
    init(port: Int, from source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        func address(_ host: String, _ port: Int) -> sockaddr_in {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_addr.s_addr = inet_addr(host)
            a.sin_port = in_port_t(UInt16(port).bigEndian)
            return a
        }
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        if let source {
            var local = address(source, 0)
            let r = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
            guard r == 0 else { let e = errno; close(); throw Failure(description: "bind \(source): errno \(e)") }
        }
        var remote = address("127.0.0.1", port)
        let r = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, size) } }
        guard r == 0 else { let e = errno; close(); throw Failure(description: "connect: errno \(e)") }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Sends `text`; false when the connection is gone (never SIGPIPE).
    @discardableResult
    func send(_ text: String) -> Bool {
        guard fd >= 0 else { return false }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    enum Read { case data(String), nothing, closed }

    /// What the server sent since the last read, without waiting.
    func read() -> Read {
        guard fd >= 0 else { return .closed }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 { return .data(String(decoding: buffer[0..<n], as: UTF8.self)) }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .nothing : .closed
    }

    /// Waits until the server closes the connection, reading what it sends.
    /// - Returns: how long that took and what was read, or nil when it is still open after `limit`.
    func closed(within limit: Duration) async -> (after: Duration, received: String)? {
        let start = ContinuousClock.now
        var received = ""
        while ContinuousClock.now - start < limit {
            switch read() {
            case .closed: return (ContinuousClock.now - start, received)
            case .data(let text): received += text
            case .nothing: try? await Task.sleep(for: .milliseconds(20))
            }
        }
        return nil
    }

    /// Sends one request and reads its response (head and a `Content-Length` body).
    /// - Returns: the response's text, or nil when the connection closed or `limit` passed first.
    func exchange(_ request: String, within limit: Duration = .seconds(10)) async -> String? {
        guard send(request) else { return nil }
        let start = ContinuousClock.now
        var received = ""
        while ContinuousClock.now - start < limit {
            switch read() {
            case .closed: return nil
            case .data(let text): received += text
            case .nothing: try? await Task.sleep(for: .milliseconds(10))
            }
            if let end = received.range(of: "\r\n\r\n") {
                let head = received[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.utf8.count - received[..<end.upperBound].utf8.count >= length { return received }
            }
        }
        return nil
    }

    /// The status code of a response's text.
    static func status(_ response: String?) -> Int? {
        response?.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) }
    }

    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    deinit { close() }
}
