import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetServer

/// The SIEM export to a syslog collector: RFC 5424 over TCP, received by a real process.
@Suite struct SIEMSyslogTests {
    /// A TCP syslog collector in a process of its own: appends what it receives to a file.
    static let collector = """
    import socket, sys, threading
    out = open(sys.argv[1], 'ab', buffering=0)
    server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('127.0.0.1', 0)); server.listen(8)
    print('Ready', server.getsockname()[1], flush=True)
    def serve(conn):
        while True:
            data = conn.recv(65536)
            if not data: break
            out.write(data)
        conn.close()
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()
    """

    /// RFC 6587 §3.4.1 octet-counted frames.
    static func frames(_ data: Data) -> [String]? {
        var bytes = [UInt8](data)[...], out: [String] = []
        while !bytes.isEmpty {
            guard let space = bytes.firstIndex(of: 0x20), let n = Int(String(decoding: bytes[bytes.startIndex..<space], as: UTF8.self)),
                  bytes.endIndex - space - 1 >= n else { return nil }
            out.append(String(decoding: bytes[(space + 1)..<(space + 1 + n)], as: UTF8.self))
            bytes = bytes[(space + 1 + n)...]
        }
        return out
    }

    @Test("syslog over TCP: a collector started by the test receives one RFC 5424 message per entry, and a restart sends only the new ones")
    func syslog() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent0")
        _ = try await world.application(by: "parent0")
        let received = world.folder.appendingPathComponent("received.log")
        let collector = try ChildServer("/usr/bin/env", ["python3", "-c", Self.collector, received.path])
        defer { collector.cleanUp() }
        let ready = try await collector.waitFor("Ready", timeout: 30)
        let port = try #require(Int(ready.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        let cursor = world.folder.appendingPathComponent("syslog.cursor").path
        func exporter() -> SIEMExporter {
            SIEMExporter(store: world.store, sink: SyslogTCPSink(host: "127.0.0.1", port: port, hostname: "guichet-test"), cursorFile: cursor)
        }
        _ = try await exporter().exportPending()
        _ = try await world.application(by: "parent0", childName: "Noah")
        _ = try await exporter().exportPending()  // after a restart
        let size = try await world.gate.ledgerSize()

        var messages: [String] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            messages = Self.frames((try? Data(contentsOf: received)) ?? Data()) ?? []
            if messages.count >= Int(size) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let pattern = #/^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) guichet-test guichet - (access|security) \[guichet@32473 index="(\d+)"\] (\{.*\})$/#
        var indexes: [Int64] = []
        for m in messages {
            let match = try #require(m.wholeMatch(of: pattern), "not RFC 5424: \(m.prefix(80))")
            #expect(Int(match.1).map { $0 / 8 } == 13, "facility 13, log audit")
            indexes.append(try #require(Int64(match.4)))
            #expect((try? JSONSerialization.jsonObject(with: Data(match.5.utf8))) != nil)
        }
        #expect(indexes == Array(0..<size), "every entry once, in order")
        for v in SIEMExportTests.values { #expect(!messages.joined().contains(v), "a personal value reached the collector") }
    }
}
