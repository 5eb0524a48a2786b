import GuichetStore
import GuichetCore
import Foundation
#if canImport(Glibc)
import Glibc
private let socketSend = Glibc.send
#elseif canImport(Darwin)
import Darwin
private let socketSend = Darwin.send
#endif

/// One ledger entry as a SIEM receives it: identifiers and field names, never a value. The
/// free-text parts of an entry (its reason, which may quote a written justification), the
/// session and the source address stay in the ledger.
public struct SIEMRecord: Sendable, Equatable {
    /// The entry's index in the ledger: a SIEM removes duplicates by it.
    public let index: Int64
    /// `security-event` (a containment step of the watch, break-glass) or `access`.
    public let kind: String
    /// The record as one JSON object, keys sorted, on one line.
    public let json: String

    static let exported = ["action", "decision", "purpose", "dossiers", "persons", "fields", "request"]

    /// - Returns: nil when the bytes are not a ledger entry (never the case for stored entries).
    init?(index: Int64, entry: Data) {
        guard let object = try? JSONDecoder().decode(JSON.self, from: entry).object else { return nil }
        let action = object["action"]?.string ?? ""
        kind = action.hasPrefix("watch:") || action.hasPrefix("break-glass") ? "security-event" : "access"
        var out: [String: JSON] = ["index": .number(Double(index)), "kind": .string(kind)]
        for key in Self.exported { if let v = object[key] { out[key] = v } }
        if let actor = object["actor"]?.object {
            for key in ["account", "role", "organisation"] { if let v = actor[key] { out[key] = v } }
        }
        if let at = object["at"]?.integer {
            out["time"] = .string(GuichetLogHandler.timestamp(Date(timeIntervalSince1970: Double(at) / 1000)))
        }
        self.index = index
        json = GuichetLogHandler.encode(.object(out))
    }
}

/// Where exported records go, in ledger order.
public protocol SIEMSink: Sendable {
    /// Delivers the records; returns once they are on disk (a file) or written to the socket
    /// (syslog over TCP, which has no acknowledgement of its own).
    func deliver(_ records: [SIEMRecord]) async throws
    /// The index of the last record the destination holds, when it can tell (a file can);
    /// a half-written last record is removed first.
    func lastDelivered() throws -> Int64?
}

/// Where a SIEM export's cursor (the index of the next entry to export) is kept.
public enum SIEMCursor: Sendable {
    /// A file in the server's data folder (mode 0600): one server alone exports.
    case file(String)
    /// The registry's database, shared by several servers on it: whichever server is elected
    /// goes on where the last one stopped.
    case shared(any SIEMCursorStorage, name: String)
}

/// SIEM export cursors kept in the registry's database (PostgreSQL, several servers).
public protocol SIEMCursorStorage: Sendable {
    /// The index of the next entry to export under this name; nil before the first export.
    func siemCursor(_ name: String) async throws -> Int64?
    /// Moves the cursor forward, never back (a late save by a server that lost the election
    /// does not undo what the next one exported).
    func saveSIEMCursor(_ name: String, next: Int64) async throws
}

/// Exports the ledger's entries to a SIEM from a persisted cursor, so that after a restart the
/// export goes on where it stopped: nothing is lost, and with a file nothing is sent twice
/// (the file's last record wins over a cursor a crash left behind). With syslog a crash between
/// sending and saving the cursor sends the last batch again, each record with its index.
///
/// Among several servers on one database the cursor is shared (``SIEMCursor/shared(_:name:)``)
/// and only the elected server exports (``CheckpointSigning``), so that the SIEM receives the
/// ledger once, not once per server. When the election moves while a batch is on its way, that
/// batch may be sent twice (by the old and the new server): records carry their `index`.
public actor SIEMExporter {
    let store: any ServerStorage
    let sink: any SIEMSink
    let place: SIEMCursor
    let signing: (any CheckpointSigning)?
    let batch: Int64

    /// - Parameter cursorFile: holds the index of the next entry to export (mode 0600).
    public init(store: any ServerStorage, sink: any SIEMSink, cursorFile: String, batch: Int = 500) {
        self.init(store: store, sink: sink, cursor: .file(cursorFile), batch: batch)
    }

    /// - Parameter signing: among several servers, exports only while this one is elected;
    ///   nil: always (one server).
    public init(store: any ServerStorage, sink: any SIEMSink, cursor: SIEMCursor, signing: (any CheckpointSigning)? = nil, batch: Int = 500) {
        precondition(batch >= 1, "an export batch holds at least one entry")
        self.store = store; self.sink = sink; self.place = cursor; self.signing = signing; self.batch = Int64(batch)
    }

    /// The index of the next entry to export.
    public func cursor() async throws -> Int64 {
        let saved: Int64
        switch place {
        case .file(let path):
            saved = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
        case .shared(let storage, let name):
            saved = try await storage.siemCursor(name) ?? 0
        }
        return max(saved, (try sink.lastDelivered()).map { $0 + 1 } ?? 0)
    }

    /// Exports every entry from the cursor to the ledger's end, a batch at a time, saving the
    /// cursor after each delivered batch; nothing while another server is elected.
    /// - Returns: how many records were delivered.
    @discardableResult
    public func exportPending() async throws -> Int {
        guard signing?.isLeading != false else { return 0 }
        var next = try await cursor()
        let size = try await store.ledgerSize()
        var delivered = 0
        while next < size, signing?.isLeading != false {
            let entries = try await store.ledgerEntries(next ..< min(size, next + batch))
            let records = entries.compactMap { SIEMRecord(index: $0.index, entry: $0.entry) }
            try await sink.deliver(records)
            next = (entries.last?.index ?? next) + 1
            switch place {
            case .file(let path): try Self.save(next, to: path)
            case .shared(let storage, let name): try await storage.saveSIEMCursor(name, next: next)
            }
            delivered += records.count
        }
        return delivered
    }

    /// Writes the cursor atomically (a new file, flushed, renamed over the old one).
    static func save(_ cursor: Int64, to path: String) throws {
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data("\(cursor)\n".utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SIEMError("cannot write the export cursor \(tmp)")
        }
        if let h = FileHandle(forUpdatingAtPath: tmp) { try? h.synchronize(); try? h.close() }
        guard rename(tmp, path) == 0 else { throw SIEMError("cannot replace the export cursor \(path)") }
    }
}

/// An export that could not be delivered; the message names the destination, never a record.
public struct SIEMError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// JSON lines appended to a file (mode 0600), flushed to disk before the cursor moves.
public struct JSONLinesFileSink: SIEMSink {
    public let path: String

    public init(path: String) { self.path = path }

    public func deliver(_ records: [SIEMRecord]) async throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw SIEMError("cannot open \(path)") }
        defer { close(fd) }
        let bytes = Array(records.map { $0.json + "\n" }.joined().utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw SIEMError("cannot write to \(path)") }
            written += n
        }
        guard fsync(fd) == 0 else { throw SIEMError("cannot flush \(path)") }
    }

    public func lastDelivered() throws -> Int64? {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        let start = end > 65_536 ? end - 65_536 : 0
        try handle.seek(toOffset: start)
        let tail = try handle.readToEnd() ?? Data()
        guard let lastNewline = tail.lastIndex(of: UInt8(ascii: "\n")) else {
            if start == 0 && !tail.isEmpty { try handle.truncate(atOffset: 0) }  // one half-written record
            return nil
        }
        let complete = start + UInt64(lastNewline - tail.startIndex) + 1
        if complete < end { try handle.truncate(atOffset: complete) }  // a record cut by a crash
        let lines = tail[tail.startIndex ..< lastNewline].split(separator: UInt8(ascii: "\n"))
        guard let last = lines.last, let object = try? JSONDecoder().decode(JSON.self, from: Data(last)).object,
              let index = object["index"]?.integer else { return nil }
        return Int64(index)
    }
}

/// RFC 5424 syslog messages over TCP with octet-counting framing (RFC 6587 §3.4.1), to a SIEM's
/// collector (rsyslog, syslog-ng, a Splunk or Sentinel forwarder). Facility 13 (log audit);
/// severity warning for a security event, notice for a refusal, info for an access. Plain TCP:
/// run it to a collector on the same host or network segment, or through a TLS tunnel.
public struct SyslogTCPSink: SIEMSink {
    public let host: String
    public let port: Int
    let hostname: String

    /// - Parameter hostname: the HOSTNAME field (default: this machine's name).
    public init(host: String, port: Int, hostname: String? = nil) {
        self.host = host; self.port = port
        let hostname = hostname ?? ProcessInfo.processInfo.hostName
        // RFC 5424 §6.2.4: printable US-ASCII, at most 255 characters; "-" when unknown.
        let printable = String(hostname.unicodeScalars.filter { $0.value > 32 && $0.value < 127 }.prefix(255).map(Character.init))
        self.hostname = printable.isEmpty ? "-" : printable
    }

    /// One message, framed: `LEN SP <PRI>1 TIMESTAMP HOST guichet - MSGID [guichet@32473 index="N"] JSON`.
    func frame(_ r: SIEMRecord, at now: Date) -> [UInt8] {
        let severity = r.kind == "security-event" ? 4 : (r.json.contains(#""decision":"deny"#) ? 5 : 6)
        let pri = 13 * 8 + severity
        let msgid = r.kind == "security-event" ? "security" : "access"
        // 32473 is the enterprise number RFC 5612 reserves for examples; a deployment may set its own.
        let message = "<\(pri)>1 \(GuichetLogHandler.timestamp(now)) \(hostname) guichet - \(msgid) [guichet@32473 index=\"\(r.index)\"] \(r.json)"
        let body = Array(message.utf8)
        return Array("\(body.count) ".utf8) + body
    }

    public func deliver(_ records: [SIEMRecord]) async throws {
        let bytes = records.flatMap { frame($0, at: Date()) }
        let (host, port) = (self.host, self.port)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            // A blocking socket on a thread of its own: never on the concurrency pool's.
            DispatchQueue.global().async {
                do { try Self.send(bytes, host: host, port: port); done.resume() } catch { done.resume(throwing: error) }
            }
        }
    }

    public func lastDelivered() throws -> Int64? { nil }

    static func send(_ bytes: [UInt8], host: String, port: Int) throws {
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let noSignal = Int32(MSG_NOSIGNAL)
        #else
        hints.ai_socktype = SOCK_STREAM
        let noSignal: Int32 = 0
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else { throw SIEMError("syslog collector \(host):\(port) not found") }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw SIEMError("cannot open a socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw SIEMError("cannot connect to the syslog collector \(host):\(port)")
        }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { socketSend(fd, $0.baseAddress, $0.count, noSignal) }
            guard n > 0 else { throw SIEMError("the syslog collector \(host):\(port) closed the connection") }
            sent += n
        }
        shutdown(fd, Int32(SHUT_WR))
    }
}
