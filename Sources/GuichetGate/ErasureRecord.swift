public import Foundation
import GuichetCore
import GuichetStore
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
///
/// Servers sharing one PostgreSQL database each keep a list of their own, and each copies into
/// it, within half a minute, the erasures the others made (``copy(from:batch:)``), so that any
/// server's list restores them all (an operator's audit: a restore with the list of the server
/// that had not run the day's retention brought 52 erased keys back). Their marks in the shared
/// database are told apart by the server's host name.
public actor ErasureRecord {
    private var url: URL?
    /// The server's name in its marks, when servers share the database (nil: alone).
    private var server: String?

    public init() {}

    /// Where the list is kept (nil: not kept, as in tests that open a registry alone).
    public var path: String? { url?.path }

    /// Keeps the list at `url` from now on (created, mode 600, when missing).
    /// - Parameter server: this server's name among those sharing the database (its host
    ///   name), nil for a server alone on its database.
    public func keep(at url: URL, server: String? = nil) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw GuichetError.unavailable("the erasure list \(url.path) cannot be created: check the key file's folder")
            }
        }
        self.url = url
        self.server = server
    }

    /// This list's name in the database's marks: its path, and the server's name when servers
    /// share the database (two machines may keep their lists at the same path).
    func listName(_ url: URL) -> String { (server.map { $0 + ":" } ?? "") + url.standardizedFileURL.path }

    /// The database's mark of how far it has applied this list (bytes).
    func markKey(_ url: URL) -> String { "erasure-list:" + listName(url) }

    /// The database's mark of the last shredding copied into this list.
    func copiedKey(_ url: URL) -> String { "erasure-copied:" + listName(url) }

    /// Appends to this list every data key the database shredded since the last copy (those of
    /// the other servers sharing it, and this one's again), so that a restore with this list
    /// alone applies them all again. A restored database's older mark only copies some twice.
    /// - Returns: how many subjects were appended.
    func copy(from store: any GateStorage, batch: Int) async throws -> Int {
        guard let url else { return 0 }
        var last = try await store.meta(copiedKey(url)).flatMap(Shredding.init(text:))
        var n = 0
        while true {
            let page = try await store.shreddings(after: last, limit: batch)
            guard let end = page.last else { break }
            // What others wrote to this list since this server's last copy (console commands
            // sharing the folder write their own erasures here): not written twice (an
            // operator's audit found every subject of a retention run twice). The whole list is
            // read once after a start, then only what was appended since.
            let (written, size) = try Self.unchecked(url, mark: listReadUpTo ?? 0)
            let already = Set(written)
            let fresh = page.map(\.subject).filter { !already.contains($0) }
            try await record(fresh, store)
            listReadUpTo = (size ?? listReadUpTo ?? 0) + UInt64(fresh.reduce(0) { $0 + $1.utf8.count + 1 })
            try await store.setMeta(copiedKey(url), end.text)
            last = end
            n += fresh.count
            if page.count < batch { break }
        }
        return n
    }

    /// How far this server has read its list for ``copy(from:batch:)`` (nil: not yet since the start).
    private var listReadUpTo: UInt64?

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
        let (subjects, size) = try Self.unchecked(url, mark: try await store.meta(markKey(url)).flatMap(UInt64.init) ?? 0)
        guard let size else { return 0 }
        let n = try await Self.shred(subjects, store, at: now)
        try await store.setMeta(markKey(url), String(size))
        return n
    }

    /// Applies another erasure list found beside this one (a server that took its keys from
    /// `GUICHET_KEYS` keeps `guichet.erasures` in the data folder; one that read the key file,
    /// `guichet.keys.erasures` beside it): what it holds past the database's mark for it is
    /// shredded again and copied into this list, so that either list restores every erasure
    /// (a lifecycle audit: a person erased by a server started with `GUICHET_KEYS` came back
    /// after a restore with the key file, both lists copied).
    /// - Returns: how many subjects were shredded again.
    func absorb(_ other: URL, _ store: any GateStorage, at now: Date) async throws -> Int {
        guard let url, other.standardizedFileURL.path != url.standardizedFileURL.path else { return 0 }
        let key = markKey(other)
        let (subjects, size) = try Self.unchecked(other, mark: try await store.meta(key).flatMap(UInt64.init) ?? 0)
        guard let size else { return 0 }
        let n = try await Self.shred(subjects, store, at: now)
        try await record(subjects, store)
        try await store.setMeta(key, String(size))
        return n
    }

    /// The subjects a list holds past `mark` (all of it when the list is shorter: it was
    /// replaced), and the list's size; a nil size when there is nothing new to read. Only what
    /// the database has not checked is read (R4's list grows by every erasure).
    static func unchecked(_ url: URL, mark: UInt64) throws -> (subjects: [String], size: UInt64?) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard mark != size else { return ([], nil) }
        try handle.seek(toOffset: mark < size ? mark : 0)
        let data = try handle.readToEnd() ?? Data()
        let subjects = String(decoding: data, as: UTF8.self).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return (subjects, size)
    }

    /// Shreds again the subjects whose keys the database still holds. A dossier's id is the
    /// subject of a dossier erased (by retention or with its last person): it is marked erased
    /// again too, so that it is neither listed nor read, and the retention run does not erase it
    /// a second time (the fields it kept for a legal duty were written after the backup, and
    /// are lost with it; a second erasure would keep what is left, without the persons' fields).
    /// - Returns: how many subjects were shredded again.
    static func shred(_ subjects: [String], _ store: any GateStorage, at now: Date) async throws -> Int {
        var n = 0
        for subject in subjects {
            let dossier = DossierID(trusted: subject)
            if try await store.lifecycle(dossier)?.erasedAt == nil, try await store.dossier(dossier) != nil {
                let live = !(try await store.wrappedKeys([subject])).isEmpty
                _ = try await store.erase(dossiers: [dossier], persons: [], at: now, kept: [])
                if live { n += 1 }
            } else if try await store.shred(person: PersonID(trusted: subject), at: now) {
                n += 1
            }
        }
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
    /// - Parameter server: this server's name when servers share the database (its host name).
    /// - Returns: how many subjects were shredded again.
    /// - Parameter others: other erasure lists found where a server of this registry may have
    ///   kept one (``ErasureRecord/absorb(_:_:at:)``): applied too, and copied into this one.
    public func keepErasures(at url: URL, others: [URL] = [], server: String? = nil, requestID: String) async throws -> Int {
        try await erasures.keep(at: url, server: server)
        var n = try await erasures.reapply(store, at: clock())
        for other in others where FileManager.default.isReadableFile(atPath: other.path) {
            n += try await erasures.absorb(other, store, at: clock())
        }
        if n > 0 {
            try await recordSystemEvent("erasure:reapplied",
                                        reason: "\(n) erasures recorded in the erasure list beside the key file were not in the database (a restore from a backup made before them): applied again",
                                        requestID: requestID)
        }
        return n
    }

    /// Copies into this server's erasure list the erasures the database holds that it may lack
    /// (those other servers sharing it made): see ``ErasureRecord/copy(from:batch:)``.
    /// - Returns: how many subjects were appended.
    public func copyErasures(batch: Int = 10_000) async throws -> Int {
        try await erasures.copy(from: store, batch: batch)
    }
}
