import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetServer

/// The SIEM export (issue #21, item 3): the ledger's entries, ids and field names only, as JSON
/// lines to a file or RFC 5424 syslog over TCP, from a cursor kept across restarts.
@Suite struct SIEMExportTests {
    static let values = ["Tremblay", "TREE25020399", "TREJ90541201", "Emma", "Julie", "514-555-0142", "example.org", "synthetic allergy"]

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test("the file export holds every entry exactly once across restarts, a stale cursor and a record cut by a crash; ids and field names only")
    func fileExport() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent0")
        _ = try await world.application(by: "parent0")
        let out = world.folder.appendingPathComponent("siem.jsonl").path
        let cursor = world.folder.appendingPathComponent("siem.cursor").path
        func exporter() -> SIEMExporter { SIEMExporter(store: world.store, sink: JSONLinesFileSink(path: out), cursorFile: cursor, batch: 3) }

        let first = try await exporter().exportPending()
        let size0 = try await world.gate.ledgerSize()
        #expect(first > 0 && Int64(first) == size0)
        _ = try await world.application(by: "parent0", childName: "Noah")
        try await world.gate.recordSystemEvent("watch:suspend", reason: "test", requestID: "siem-test")
        // A restart: a new exporter from the saved cursor sends the new entries only.
        let second = try await exporter().exportPending()
        #expect(second >= 2)
        // A crash after the file was written but before the cursor was saved: the file's last record wins.
        try "0\n".write(toFile: cursor, atomically: true, encoding: .utf8)
        #expect(try await exporter().exportPending() == 0)
        // A crash in the middle of a record: the half line is removed, then the export goes on.
        let handle = try #require(FileHandle(forWritingAtPath: out))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"index":99,"kind":"acc"#.utf8))
        try handle.close()
        _ = try await world.application(by: "parent0", childName: "Lea")
        #expect(try await exporter().exportPending() > 0)

        let records = try Self.lines(out)
        let size = try await world.gate.ledgerSize()
        #expect(records.compactMap { ($0["index"] as? NSNumber)?.int64Value } == Array(0..<size), "every entry once, in order")
        #expect(records.contains { $0["kind"] as? String == "security-event" && $0["action"] as? String == "watch:suspend" })
        #expect(records.contains { ($0["fields"] as? [String])?.isEmpty == false && ($0["persons"] as? [String])?.isEmpty == false })
        let text = try String(contentsOfFile: out, encoding: .utf8)
        for v in Self.values { #expect(!text.contains(v), "a personal value reached the export") }
        #expect((try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int) == 0o600)
    }
}
