import Crypto
import Foundation

/// AES-256-GCM with a random 96-bit nonce (``RandomPool``), in the combined form nonce ‖ ciphertext ‖ tag.
/// Every failure to open collapses into one error: a ciphertext that does not authenticate is
/// never turned into data. Internal to the vault: no other module picks a nonce or opens a
/// ciphertext (tests reach it through `@testable import`).
enum FieldCipher {
    /// Encrypts `plaintext` bound to `aad`. A nonce is drawn at random unless one is given
    /// (published test vectors only).
    static func seal(_ plaintext: some DataProtocol, key: SymmetricKey, aad: some DataProtocol,
                            nonce: AES.GCM.Nonce? = nil) throws -> Data {
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce ?? RandomPool.nonce(), authenticating: aad)
        // With a 96-bit nonce the combined representation always exists.
        return box.combined!
    }

    /// Decrypts and authenticates.
    /// - Throws: ``VaultError/integrity`` for anything that does not authenticate.
    static func open(_ combined: some DataProtocol, key: SymmetricKey, aad: some DataProtocol) throws -> Data {
        do {
            return try AES.GCM.open(try AES.GCM.SealedBox(combined: combined), using: key, authenticating: aad)
        } catch {
            throw VaultError.integrity
        }
    }
}

/// The stored form of a field map: format byte 0x01, then for each field its name, whether
/// it is encrypted, and its bytes. Names are in clear (they say which fields exist, not what
/// they hold); values of every field that is not classified public are AES-256-GCM ciphertexts.
struct SealedCodec {
    struct Entry: Equatable {
        var name: String
        var encrypted: Bool
        var payload: Data
    }

    static func encode(_ entries: [Entry]) -> Data {
        let sorted = entries.sorted(by: { $0.name < $1.name })
        // One allocation for the whole map (appending piece by piece to a Data was a fifth
        // of sealing a person: issue 18).
        let size = sorted.reduce(1) { $0 + 1 + $1.name.utf8.count + 1 + 4 + $1.payload.count }
        var out = [UInt8]()
        out.reserveCapacity(size)
        out.append(0x01)
        for e in sorted {
            let name = e.name.utf8
            precondition(name.count < 256, "field names are short identifiers")
            out.append(UInt8(name.count))
            out.append(contentsOf: name)
            out.append(e.encrypted ? 1 : 0)
            let n = UInt32(e.payload.count)
            out.append(contentsOf: [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)])
            e.payload.withUnsafeBytes { out.append(contentsOf: $0) }
        }
        return Data(out)
    }

    /// The field names of a sealed map, in order, without copying the payloads (what a read
    /// journals before anything is opened).
    static func names(_ data: Data) throws -> [String] {
        try walk(data) { name, _, _ in name }
    }

    static func decode(_ data: Data) throws -> [Entry] {
        try walk(data) { name, encrypted, payload in Entry(name: name, encrypted: encrypted, payload: Data(payload)) }
    }

    /// The entries whose names `include` accepts; the others' bytes are checked, not copied
    /// (a read opens a few fields of each person it shows).
    static func decode(_ data: Data, where include: (String) -> Bool) throws -> [Entry] {
        try walk(data) { name, encrypted, payload in
            include(name) ? Entry(name: name, encrypted: encrypted, payload: Data(payload)) : nil
        }.compactMap { $0 }
    }

    /// Walks a sealed map's entries in place (no copy of the bytes), checking every length,
    /// and returns what `body` makes of each.
    private static func walk<T>(_ data: Data, _ body: (String, Bool, Slice<UnsafeRawBufferPointer>) -> T) throws -> [T] {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> [T] in
            guard bytes.first == 0x01 else { throw VaultError.integrity }
            var i = 1
            var out: [T] = []
            out.reserveCapacity(8)
            while i < bytes.count {
                let nameLength = Int(bytes[i]); i += 1
                guard i + nameLength + 5 <= bytes.count else { throw VaultError.integrity }
                guard let name = String(validating: bytes[i..<i + nameLength], as: UTF8.self) else { throw VaultError.integrity }
                i += nameLength
                let encrypted = bytes[i] == 1; i += 1
                let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]); i += 4
                guard i + length <= bytes.count else { throw VaultError.integrity }
                out.append(body(name, encrypted, bytes[i..<i + length]))
                i += length
            }
            return out
        }
    }
}
