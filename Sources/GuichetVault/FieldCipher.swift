import CCryptoBoringSSL
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
        try GCMKey(key).seal(plaintext, aad: aad, nonce: nonce)
    }

    /// Decrypts and authenticates.
    /// - Throws: ``VaultError/integrity`` for anything that does not authenticate.
    static func open(_ combined: some DataProtocol, key: SymmetricKey, aad: some DataProtocol) throws -> Data {
        try GCMKey(key).open(combined, aad: aad)
    }
}

/// An AES-256 key expanded once for AES-GCM (BoringSSL's `EVP_AEAD_CTX`, the code swift-crypto
/// runs beneath `AES.GCM`), to seal or open every field of one subject with it.
///
/// Why not `AES.GCM` itself (issue 18): each of its calls expands the key again and allocates
/// a context object, the ciphertext, the tag, then the combined form (four heap blocks and
/// three copies); the encryption itself was about a sixth of the time `AES.GCM.seal` took
/// (perf, a bulk import of 1 M persons). Here a field costs one buffer, written in place:
/// nonce, then ciphertext and tag.
/// The construction is the same (AES-256-GCM, 96-bit nonce, 128-bit tag), so values sealed
/// either way open either way (`VaultTests`: Wycheproof's vectors, and both directions
/// against `AES.GCM`).
final class GCMKey {
    static let nonceBytes = 12
    static let tagBytes = 16
    private let context: UnsafeMutablePointer<EVP_AEAD_CTX>

    /// - Throws: ``VaultError/integrity`` for a key that is not 256 bits.
    init(_ key: SymmetricKey) throws {
        guard key.bitCount == 256 else { throw VaultError.integrity }
        context = .allocate(capacity: 1)
        context.initialize(to: EVP_AEAD_CTX())
        let ok = key.withUnsafeBytes { k in
            CCryptoBoringSSL_EVP_AEAD_CTX_init(context, CCryptoBoringSSL_EVP_aead_aes_256_gcm(),
                                               k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count, Self.tagBytes, nil) == 1
        }
        guard ok else {
            CCryptoBoringSSL_ERR_clear_error()
            context.deallocate()
            throw VaultError.integrity
        }
    }

    deinit {
        CCryptoBoringSSL_EVP_AEAD_CTX_cleanup(context)
        // The expanded key: zeroed before the memory goes back (SymmetricKey does the same).
        CCryptoBoringSSL_OPENSSL_cleanse(context, MemoryLayout<EVP_AEAD_CTX>.size)
        context.deallocate()
    }

    /// nonce ‖ ciphertext ‖ tag, the nonce drawn from ``RandomPool`` unless given.
    func seal(_ plaintext: some DataProtocol, aad: some DataProtocol, nonce: AES.GCM.Nonce? = nil) throws -> Data {
        try Self.contiguous(plaintext) { plain in
            try Self.contiguous(aad) { aad in
                var out = Data(count: Self.nonceBytes + plain.count + Self.tagBytes)
                let ok = out.withUnsafeMutableBytes { o -> Bool in
                    let base = o.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    if let nonce {
                        nonce.withUnsafeBytes { n in UnsafeMutableRawBufferPointer(rebasing: o[0..<Self.nonceBytes]).copyMemory(from: n) }
                    } else {
                        RandomPool.fill(UnsafeMutableRawBufferPointer(rebasing: o[0..<Self.nonceBytes]))
                    }
                    var written = 0
                    return withBytes(plain) { p in
                        withBytes(aad) { a in
                            CCryptoBoringSSL_EVP_AEAD_CTX_seal(context, base + Self.nonceBytes, &written, o.count - Self.nonceBytes,
                                                               base, Self.nonceBytes, p, plain.count, a, aad.count)
                        }
                    } == 1 && written == o.count - Self.nonceBytes
                }
                guard ok else { CCryptoBoringSSL_ERR_clear_error(); throw VaultError.integrity }
                return out
            }
        }
    }

    /// The plaintext of nonce ‖ ciphertext ‖ tag.
    /// - Throws: ``VaultError/integrity`` for anything that does not authenticate.
    func open(_ combined: some DataProtocol, aad: some DataProtocol) throws -> Data {
        try Self.contiguous(combined) { sealed in
            try Self.contiguous(aad) { aad in
                guard sealed.count >= Self.nonceBytes + Self.tagBytes else { throw VaultError.integrity }
                let base = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var out = Data(count: sealed.count - Self.nonceBytes - Self.tagBytes)
                let capacity = out.count
                var written = 0
                let ok = out.withUnsafeMutableBytes { o in
                    withBytes(UnsafeRawBufferPointer(o)) { target in
                        withBytes(aad) { a in
                            CCryptoBoringSSL_EVP_AEAD_CTX_open(context, UnsafeMutablePointer(mutating: target), &written, capacity,
                                                               base, Self.nonceBytes, base + Self.nonceBytes, sealed.count - Self.nonceBytes,
                                                               a, aad.count)
                        }
                    }
                } == 1 && written == capacity
                guard ok else { CCryptoBoringSSL_ERR_clear_error(); throw VaultError.integrity }
                return out
            }
        }
    }

    /// `body` over the bytes of `data`, copied only when they are not in one piece.
    private static func contiguous<T>(_ data: some DataProtocol, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        if let done = try data.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) { return done }
        if data.regions.count == 1, let region = data.regions.first {
            return try region.withUnsafeBytes { try body($0) }
        }
        return try Array(data).withUnsafeBytes { try body($0) }
    }
}

/// A pointer to `bytes`, never nil (BoringSSL is given a valid address for an empty input).
private func withBytes<T>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>) -> T) -> T {
    guard let base = bytes.baseAddress else {
        var zero: UInt8 = 0
        return withUnsafePointer(to: &zero) { body($0) }
    }
    return body(base.assumingMemoryBound(to: UInt8.self))
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
