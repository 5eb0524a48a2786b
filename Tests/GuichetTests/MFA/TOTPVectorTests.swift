import Foundation
import Testing
@testable import GuichetMFA

/// Published test vectors: RFC 6238 Appendix B, RFC 4226 Appendix D, RFC 4648 §10.
struct TOTPVectorTests {
    /// RFC 6238 Appendix B: the seeds are ASCII digits of 20, 32 and 64 bytes for SHA-1,
    /// SHA-256 and SHA-512 (the reference implementation's seed, seed32 and seed64).
    static func rfc6238Secret(_ algorithm: TOTPAlgorithm) throws -> TOTPSecret {
        let length = switch algorithm { case .sha1: 20; case .sha256: 32; case .sha512: 64 }
        let seed = Array(String(repeating: "1234567890", count: 7).utf8.prefix(length))
        return try TOTPSecret(key: seed, algorithm: algorithm, digits: 8)
    }

    struct Vector: Sendable, CustomStringConvertible {
        let time: Int64
        let step: Int64
        let algorithm: TOTPAlgorithm
        let code: String
        var description: String { "\(time) \(algorithm.rawValue)" }
    }

    /// RFC 6238 Appendix B, the whole table: Unix time, T (hex in the RFC), mode, TOTP.
    static let appendixB: [Vector] = [
        Vector(time: 59, step: 0x1, algorithm: .sha1, code: "94287082"),
        Vector(time: 59, step: 0x1, algorithm: .sha256, code: "46119246"),
        Vector(time: 59, step: 0x1, algorithm: .sha512, code: "90693936"),
        Vector(time: 1111111109, step: 0x23523EC, algorithm: .sha1, code: "07081804"),
        Vector(time: 1111111109, step: 0x23523EC, algorithm: .sha256, code: "68084774"),
        Vector(time: 1111111109, step: 0x23523EC, algorithm: .sha512, code: "25091201"),
        Vector(time: 1111111111, step: 0x23523ED, algorithm: .sha1, code: "14050471"),
        Vector(time: 1111111111, step: 0x23523ED, algorithm: .sha256, code: "67062674"),
        Vector(time: 1111111111, step: 0x23523ED, algorithm: .sha512, code: "99943326"),
        Vector(time: 1234567890, step: 0x273EF07, algorithm: .sha1, code: "89005924"),
        Vector(time: 1234567890, step: 0x273EF07, algorithm: .sha256, code: "91819424"),
        Vector(time: 1234567890, step: 0x273EF07, algorithm: .sha512, code: "93441116"),
        Vector(time: 2000000000, step: 0x3F940AA, algorithm: .sha1, code: "69279037"),
        Vector(time: 2000000000, step: 0x3F940AA, algorithm: .sha256, code: "90698825"),
        Vector(time: 2000000000, step: 0x3F940AA, algorithm: .sha512, code: "38618901"),
        Vector(time: 20000000000, step: 0x27BC86AA, algorithm: .sha1, code: "65353130"),
        Vector(time: 20000000000, step: 0x27BC86AA, algorithm: .sha256, code: "77737706"),
        Vector(time: 20000000000, step: 0x27BC86AA, algorithm: .sha512, code: "47863826"),
    ]

    @Test("Every RFC 6238 Appendix B vector gives the published time step and 8-digit code", arguments: appendixB)
    func rfc6238(vector: Vector) throws {
        let secret = try Self.rfc6238Secret(vector.algorithm)
        let date = Date(timeIntervalSince1970: TimeInterval(vector.time))
        #expect(secret.timeStep(at: date) == vector.step)
        #expect(secret.code(at: date) == vector.code)
    }

    @Test("Every RFC 6238 Appendix B code is accepted by the verifier at its own step", arguments: appendixB)
    func rfc6238Verify(vector: Vector) throws {
        let secret = try Self.rfc6238Secret(vector.algorithm)
        let date = Date(timeIntervalSince1970: TimeInterval(vector.time))
        #expect(secret.verify(vector.code, at: date, window: 0, lastUsedStep: nil) == vector.step)
    }

    @Test("HOTP gives the RFC 4226 Appendix D values for counters 0 to 9")
    func rfc4226() throws {
        let secret = try TOTPSecret(key: Array("12345678901234567890".utf8))
        let expected = ["755224", "287082", "359152", "969429", "338314",
                        "254676", "287922", "162583", "399871", "520489"]
        #expect((0..<10).map { secret.hotp(counter: UInt64($0)) } == expected)
    }

    @Test("Base32 encodes and decodes the RFC 4648 §10 vectors, padded or not")
    func rfc4648() throws {
        let vectors = [("", ""), ("f", "MY======"), ("fo", "MZXQ===="), ("foo", "MZXW6==="),
                       ("foob", "MZXW6YQ="), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI======")]
        for (plain, encoded) in vectors {
            let unpadded = encoded.replacingOccurrences(of: "=", with: "")
            #expect(Base32.encode(Array(plain.utf8)) == unpadded)
            #expect(try Base32.decode(encoded) == Array(plain.utf8))
            #expect(try Base32.decode(unpadded) == Array(plain.utf8))
            #expect(try Base32.decode(unpadded.lowercased()) == Array(plain.utf8))
        }
    }

    @Test("Base32 refuses foreign characters, misplaced padding, impossible lengths and non-zero pad bits")
    func base32Refusals() {
        for text in ["MZXW6YT1", "MZXW 6YTB", "MZ=XW6YTB", "MZX", "MZXW6Y", "MZ======", "MZXW6=", "MY=============="] {
            #expect(throws: MFAError.self, "\(text)") { try Base32.decode(text) }
        }
    }
}
