import Foundation
import Crypto
import _CryptoExtras

/// scrypt parameters (RFC 7914): N = 2^logN, block size r, parallelism p.
public struct ScryptParameters: Sendable, Equatable, CustomStringConvertible {
    public let logN: Int
    public let r: Int
    public let p: Int

    public init(logN: Int, r: Int, p: Int) { self.logN = logN; self.r = r; self.p = p }

    /// OWASP's password storage cheat sheet lists equivalent scrypt settings; this is the one
    /// with N = 2^15, r = 8, p = 3 (32 MiB per hash, three passes): strong, while keeping the
    /// memory per concurrent sign-in moderate on a small server. Argon2id is not in the
    /// mirrored libraries; scrypt is OWASP's next choice.
    public static let recommended = ScryptParameters(logN: 15, r: 8, p: 3)
    /// Cheap parameters for tests only; never for a deployment.
    public static let testing = ScryptParameters(logN: 10, r: 8, p: 1)

    public var description: String { "ln=\(logN),r=\(r),p=\(p)" }
}

/// Hashes and verifies passwords with scrypt, in the PHC-like form
/// `$scrypt$ln=15,r=8,p=3$<salt>$<hash>` (base64url). The parameters are stored with each
/// hash, so they can be raised later: a hash made with other parameters is re-made at the
/// next successful sign-in.
public struct PasswordHasher: Sendable {
    public let parameters: ScryptParameters

    public init(parameters: ScryptParameters = .recommended) { self.parameters = parameters }

    /// Hashes a password with a fresh 16-byte salt. Runs off the cooperative thread pool.
    public func hash(_ password: String) async throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &rng) }
        let key = try await Self.derive(password, salt: salt, parameters)
        return "$scrypt$\(parameters)$\(Base64URLCodec.encode(salt))$\(Base64URLCodec.encode(key))"
    }

    /// The outcome of checking a password.
    public struct Verification: Sendable, Equatable {
        public let matches: Bool
        /// The stored hash uses other parameters than the current ones.
        public let needsRehash: Bool
    }

    /// Checks a password against a stored hash in constant time. A malformed hash never matches.
    public func verify(_ password: String, against encoded: String) async -> Verification {
        guard let (params, salt, expected) = Self.parse(encoded),
              let key = try? await Self.derive(password, salt: salt, params) else {
            return Verification(matches: false, needsRehash: true)
        }
        var diff: UInt8 = key.count == expected.count ? 0 : 1
        for (a, b) in zip(key, expected) { diff |= a ^ b }
        return Verification(matches: diff == 0, needsRehash: params != parameters)
    }

    static func parse(_ encoded: String) -> (ScryptParameters, [UInt8], [UInt8])? {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for kv in parts[2].split(separator: ",") {
            let pair = kv.split(separator: "=")
            guard pair.count == 2, let v = Int(pair[1]) else { return nil }
            values[String(pair[0])] = v
        }
        guard let ln = values["ln"], let r = values["r"], let p = values["p"], (1...22).contains(ln), (1...32).contains(r), (1...16).contains(p),
              let salt = Base64URLCodec.decode(String(parts[3])), let key = Base64URLCodec.decode(String(parts[4])), key.count == 32 else { return nil }
        return (ScryptParameters(logN: ln, r: r, p: p), salt, key)
    }

    /// Derives the key on the password pool's own threads (scrypt takes tens of milliseconds
    /// and 32 MiB: never on a Swift concurrency thread, and never more at once than the pool).
    static func derive(_ password: String, salt: [UInt8], _ p: ScryptParameters, length: Int = 32) async throws -> [UInt8] {
        try await WorkPool.passwords.run {
            let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: length,
                                               rounds: 1 << p.logN, blockSize: p.r, parallelism: p.p)
            return key.withUnsafeBytes { Array($0) }
        }
    }
}

import GuichetCore
typealias Base64URLCodec = Base64URL
