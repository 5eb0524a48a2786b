import Foundation
import Testing
@testable import GuichetMFA

/// TOTP checked against two implementations we do not write: pyotp and oathtool.
/// A missing peer makes these tests fail with the command that installs it.
struct TOTPPeerTests {
    /// Times spread over decades, including step boundaries.
    static let times: [Int64] = [0, 29, 30, 59, 1_111_111_109, 1_700_000_000, 1_700_000_029, 1_893_456_000, 4_102_444_799]

    @Test("pyotp's codes equal ours and our verifier accepts them, for each algorithm and length",
          arguments: TOTPAlgorithm.allCases, [6, 8])
    func pyotp(algorithm: TOTPAlgorithm, digits: Int) throws {
        let secret = TOTPSecret(algorithm: algorithm, digits: digits)
        let output = try Peers.script("totp_peer.py", ["code", secret.base32, algorithm.rawValue, "\(digits)", "30"]
            + Self.times.map(String.init))
        let theirs = output.split(separator: "\n").map(String.init)
        try #require(theirs.count == Self.times.count, "pyotp printed: \(output)")
        for (time, code) in zip(Self.times, theirs) {
            let date = Date(timeIntervalSince1970: TimeInterval(time))
            #expect(secret.code(at: date) == code, "at \(time)")
            #expect(secret.verify(code, at: date, window: 0, lastUsedStep: nil) == time / 30, "at \(time)")
        }
    }

    @Test("oathtool's codes equal ours and our verifier accepts them, for each algorithm and length",
          arguments: TOTPAlgorithm.allCases, [6, 8])
    func oathtool(algorithm: TOTPAlgorithm, digits: Int) throws {
        let secret = TOTPSecret(algorithm: algorithm, digits: digits)
        for time in Self.times {
            let output = try Peers.oathtool([
                "--totp=\(algorithm.rawValue.lowercased())", "--base32", "--digits=\(digits)",
                "--now=@\(time)", secret.base32,
            ])
            let code = output.trimmingCharacters(in: .whitespacesAndNewlines)
            let date = Date(timeIntervalSince1970: TimeInterval(time))
            #expect(secret.code(at: date) == code, "at \(time)")
            #expect(secret.verify(code, at: date, window: 0, lastUsedStep: nil) == time / 30, "at \(time)")
        }
    }

    @Test("oathtool's code of the next step is accepted at window 1, its code two steps on is refused")
    func oathtoolWindow() throws {
        let secret = TOTPSecret()
        let now: Int64 = 1_700_000_015
        let next = try Peers.oathtool(["--totp", "--base32", "--now=@\(now + 30)", secret.base32])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let later = try Peers.oathtool(["--totp", "--base32", "--now=@\(now + 60)", secret.base32])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let date = Date(timeIntervalSince1970: TimeInterval(now))
        #expect(secret.verify(next, at: date, window: 1, lastUsedStep: nil) == now / 30 + 1)
        #expect(secret.verify(later, at: date, window: 1, lastUsedStep: nil) == nil)
    }

    struct ParsedURI: Decodable {
        let secret: String
        let name: String
        let issuer: String
        let digits: Int
        let period: Int
        let algorithm: String
    }

    @Test("pyotp parses our provisioning URI back to the same secret, issuer, account and parameters")
    func pyotpParsesURI() throws {
        let secret = TOTPSecret(algorithm: .sha512, digits: 8, period: 60)
        let uri = secret.provisioningURI(issuer: "Guichet Mission Locale", account: "conseillère 12&co@ml.example")
        let output = try Peers.script("totp_peer.py", ["parse", uri])
        let parsed = try JSONDecoder().decode(ParsedURI.self, from: Data(output.utf8))
        #expect(parsed.secret == secret.base32)
        #expect(parsed.issuer == "Guichet Mission Locale")
        #expect(parsed.name == "conseillère 12&co@ml.example")
        #expect(parsed.digits == 8)
        #expect(parsed.period == 60)
        #expect(parsed.algorithm == "SHA512")
    }
}
