import Foundation
import GuichetStore
import GuichetVault

/// What `guichet keys status` shows: the key-encryption key versions of the key file, and
/// how many data keys each wraps.
public struct KeyStatus: Sendable, Equatable {
    /// Versions held by the key file, oldest first.
    public let versions: [Int]
    /// The version that wraps new data keys.
    public let current: Int
    /// Data keys per version (versions without any are absent).
    public let dataKeys: [Int: Int]
    /// Subjects whose data key was destroyed (crypto-shredding).
    public let shredded: Int
    /// Whether the key file holds an archive KEK (its data keys: `dataKeys[0]`).
    public var archiveKey = false
}

/// Why a key-file change was refused; nothing was changed.
public enum KeyRotationError: Error, Sendable, Equatable, CustomStringConvertible {
    case notHeld(version: Int, file: String)
    case current(version: Int)
    case inUse(version: Int, dataKeys: Int)

    public var description: String {
        switch self {
        case .notHeld(let v, let file): "version \(v) is not in \(file)"
        case .current(let v): "version \(v) is the current one; rotate first"
        case .inUse(let v, let n): "\(n) data keys are still wrapped by version \(v): run 'guichet keys rewrap' first; nothing was changed"
        }
    }
}

/// Key rotation (C8, docs/KEYS.md): a new key-encryption key version in the key file, then
/// every data key re-wrapped under it in committed batches (resumable), then old versions
/// retired once no data key uses them. The data keys, hence every sealed field, never change.
extension OpenedRegistry {
    /// The key file's versions and the data keys under each.
    public func keyStatus(keyFile: String) async throws -> KeyStatus {
        let set = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: keyFile)), origin: keyFile)
        let counts = try await storage.dataKeyCounts()
        var status = KeyStatus(versions: set.versions, current: set.current, dataKeys: counts.byVersion, shredded: counts.shredded)
        status.archiveKey = set.hasArchiveKey
        return status
    }

    /// Adds a new key-encryption key version to the key file and re-wraps every data key under it.
    /// - Returns: the new version and how many data keys were re-wrapped.
    public func rotateKeys(keyFile: String, progress: @Sendable (_ done: Int, _ total: Int, _ version: Int) -> Void = { _, _, _ in })
        async throws -> (version: Int, rewrapped: Int) {
        var set = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: keyFile)), origin: keyFile)
        let version = set.rotate()
        try set.write(to: keyFile)
        try await gate.recordRotation(version: version, at: Date())
        return (version, try await rewrapDataKeys(keyFile: keyFile, progress: progress))
    }

    /// Re-wraps the data keys not under the key file's current version, in committed batches
    /// of at most 2,000 (an interrupted run is resumed by running it again).
    /// - Parameter limit: stop after this many (tests interrupt a rotation this way).
    /// - Returns: how many were re-wrapped.
    public func rewrapDataKeys(keyFile: String, limit: Int? = nil,
                               progress: @Sendable (_ done: Int, _ total: Int, _ version: Int) -> Void = { _, _, _ in }) async throws -> Int {
        let current = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: keyFile)), origin: keyFile).current
        let vault = Vault(profile: profile, keys: keys)
        let total = try await storage.dataKeyCounts().byVersion.filter { $0.key != current && $0.key != Vault.archiveVersion }.values.reduce(0, +)
        var done = 0
        while limit.map({ done < $0 }) ?? true {
            let n = try await storage.rewrapBatch(to: current, limit: min(2_000, limit.map { $0 - done } ?? 2_000)) { subject, key in
                try vault.rewrap(key, subject: subject)
            }
            if n == 0 { break }
            done += n
            progress(done, total, current)
        }
        return done
    }

    /// Removes a key-encryption key version from the key file.
    /// - Throws: ``KeyRotationError`` when the version is not held, is the current one, or
    ///   still wraps data keys (the file is then left as it was).
    public func retireKey(version: Int, keyFile: String) async throws {
        var set = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: keyFile)), origin: keyFile)
        guard set.versions.contains(version) else { throw KeyRotationError.notHeld(version: version, file: keyFile) }
        guard version != set.current else { throw KeyRotationError.current(version: version) }
        let left = try await storage.dataKeyCounts().byVersion[version] ?? 0
        guard left == 0 else { throw KeyRotationError.inUse(version: version, dataKeys: left) }
        set.retire(version)
        try set.write(to: keyFile)
    }
}
