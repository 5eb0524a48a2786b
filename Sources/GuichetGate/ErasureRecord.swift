public import Foundation
import GuichetCore
import Logging

/// The erasures this server made, kept outside the database, so that restoring a backup made
/// before them does not bring the erased persons back (a lifecycle audit: a child erased on
/// request was readable again after a restore, since the backup held the child's wrapped data
/// key and the key file unwraps it).
///
/// A text file, one erased subject (a data key's subject: a person, a dossier, `kept:` fields)
/// per line, appended and synced before the erasure is answered; ids only, never a value. It
/// lives beside the key file (`guichet.keys.erasures`) and goes wherever the key file goes.
/// Each time a registry is opened, the subjects written since the database last checked the
/// file (its `erasure-list:` mark) are shredded again where the database still holds their
/// keys: after a restore, that is every erasure made since the backup.
public actor ErasureRecord {
    private var url: URL?

    public init() {}

    /// Where the list is kept (nil: not kept, as in tests that open a registry alone).
    public var path: String? { url?.path }

    /// Keeps the list at `url` from now on (created, mode 600, when missing).
    public func keep(at url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw GuichetError.unavailable("the erasure list \(url.path) cannot be created: check the key file's folder")
            }
        }
        self.url = url
    }

    /// The database's mark of how far it has applied this list (bytes).
    func markKey(_ url: URL) -> String { "erasure-list:" + url.standardizedFileURL.path }

    /// Appends erased subjects and syncs them, then moves the database's mark: the database
    /// holds these erasures already.
    /// - Throws: when the list cannot be written (the erasure is done in the database; the
    ///   caller says so).
    func record(_ subjects: [String], _ store: any GateStorage) async throws {
        guard let url, !subjects.isEmpty else { return }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let end = try handle.seekToEnd()
        try handle.write(contentsOf: Data(subjects.map { $0 + "\n" }.joined().utf8))
        try handle.synchronize()
        // Only when the database had checked the file up to where this append began: else a
        // restore's erasures wait for the next opening's check.
        if (try await store.meta(markKey(url)).flatMap(UInt64.init) ?? 0) == end {
            try await store.setMeta(markKey(url), String(try handle.offset()))
        }
    }

    /// Shreds again every subject the list holds past the database's mark whose key the
    /// database still holds, then moves the mark to the list's end.
    /// - Returns: how many subjects were shredded again (0 but after a restore).
    func reapply(_ store: any GateStorage, at now: Date) async throws -> Int {
        guard let url else { return 0 }
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        let mark = try await store.meta(markKey(url)).flatMap(UInt64.init) ?? 0
        // Only what the database has not checked is read (R4's list grows by every erasure);
        // a list shorter than the mark was replaced: read it whole.
        guard mark != size else { return 0 }
        try handle.seek(toOffset: mark < size ? mark : 0)
        let data = try handle.readToEnd() ?? Data()
        var n = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let subject = line.trimmingCharacters(in: .whitespaces)
            guard !subject.isEmpty else { continue }
            if try await store.shred(person: PersonID(trusted: subject), at: now) { n += 1 }
        }
        try await store.setMeta(markKey(url), String(size))
        return n
    }
}

extension Gate {
    /// Records erased subjects in the list kept outside the database (``ErasureRecord``). The
    /// erasure is done whatever happens here: a list that cannot be written is logged, and
    /// the next opening's check finds nothing to undo.
    func recordErasures(_ subjects: [String]) async {
        do { try await erasures.record(subjects, store) } catch {
            logger.error("an erasure could not be written to the erasure list kept beside the key file; copy the key file's folder elsewhere before a restore",
                         metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }

    /// Keeps the erasure list at `url` and applies again what the database lacks of it
    /// (``ErasureRecord/reapply(_:at:)``), journalled when any was.
    /// - Returns: how many subjects were shredded again.
    public func keepErasures(at url: URL, requestID: String) async throws -> Int {
        try await erasures.keep(at: url)
        let n = try await erasures.reapply(store, at: clock())
        if n > 0 {
            try await recordSystemEvent("erasure:reapplied",
                                        reason: "\(n) erasures recorded in the erasure list beside the key file were not in the database (a restore from a backup made before them): applied again",
                                        requestID: requestID)
        }
        return n
    }
}
