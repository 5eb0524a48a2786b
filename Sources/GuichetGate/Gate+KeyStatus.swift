public import Foundation
import GuichetStore
import GuichetVault

/// The keys' status as administrators see it on their page (#17): version numbers, counts and
/// times only. Never a key, a key's fingerprint or the registry's key check value.
public struct KeysOverview: Sendable {
    /// The version that wraps new data keys; nil when the keys cannot be read now.
    public let current: Int?
    /// The key-encryption key versions held, oldest first (empty when unreadable).
    public let versions: [Int]
    /// Live data keys (one per person or dossier with sealed fields) wrapped by each version.
    public let dataKeys: [Int: Int]
    /// Subjects whose data key was destroyed (crypto-shredding).
    public let shredded: Int
    /// nil when the keys read now and are this registry's; otherwise why not (no secret in it).
    public let problem: String?
    /// A key file's path, or `$GUICHET_KEYS`.
    public let source: String
    /// When the key file last changed (nil for keys from the environment).
    public let fileChanged: Date?
    /// The last rotation `guichet keys rotate` recorded in this registry.
    public let lastRotation: (version: Int, at: Date)?
    /// Whether the keys hold the archive KEK (docs/KEYS.md, "Archives"); the data keys under it
    /// are `dataKeys[archiveVersion]`.
    public let archiveHeld: Bool
    /// The pseudo-version of keys wrapped under the archive KEK (the vault's `archiveVersion`;
    /// `Gate.keysOverview()` checks that they agree).
    public static let archiveVersion = 0
}

extension Gate {
    /// The meta key under which a rotation records its new version and time.
    static let rotationMeta = "key-rotation"

    /// The keys' status: what the key provider holds now (the same read as every use of a key,
    /// so a removed or too open key file shows here as it fails there), the data keys under
    /// each version (one grouped count over the data keys), and the last recorded rotation.
    public func keysOverview() async throws -> KeysOverview {
        var problem: String?
        var current: Int?
        var versions: [Int] = []
        do {
            let held = try vault.keyVersions()
            current = held.current
            versions = held.held
            let stored = try await store.meta("key-check")
            if let stored, stored != (try vault.keyCheck()) { problem = "the keys in memory are not this registry's" }
        } catch let error as KeyError {
            problem = error.description
        } catch {
            problem = "the keys cannot be used"
        }
        assert(KeysOverview.archiveVersion == Vault.archiveVersion)
        let counts = try await store.dataKeyCounts()
        let origin = vault.keyOrigin
        return KeysOverview(current: current, versions: versions, dataKeys: counts.byVersion, shredded: counts.shredded, problem: problem,
                            source: origin.source, fileChanged: origin.changed, lastRotation: try await lastRotation(),
                            archiveHeld: vault.hasArchiveKey)
    }

    /// Records a rotation (its new version and time) for the keys' status.
    func recordRotation(version: Int, at: Date) async throws {
        try await store.setMeta(Self.rotationMeta, "\(version) \(Int64((at.timeIntervalSince1970 * 1000).rounded()))")
    }

    func lastRotation() async throws -> (version: Int, at: Date)? {
        guard let text = try await store.meta(Self.rotationMeta) else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let v = Int(parts[0]), let ms = Int64(parts[1]) else { return nil }
        return (v, Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
