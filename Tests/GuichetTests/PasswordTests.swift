import Foundation
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetGate

/// scrypt password hashes: RFC 7914 vectors, verification, upgrade of parameters.
@Suite struct PasswordTests {
    /// RFC 7914 §12, second vector: P = "password", S = "NaCl", N = 1024, r = 8, p = 16, dkLen = 64.
    @Test("scrypt matches the RFC 7914 test vector")
    func rfc7914Vector() async throws {
        let key = try await PasswordHasher.derive64("password", salt: Array("NaCl".utf8), ScryptParameters(logN: 10, r: 8, p: 16))
        #expect(key.map { String(format: "%02x", $0) }.joined() ==
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162" +
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test("a hash verifies its password only, and carries its parameters")
    func verify() async throws {
        let hasher = PasswordHasher(parameters: .testing)
        let hash = try await hasher.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(!hash.contains("correct"))
        #expect(await hasher.verify("correct horse battery staple", against: hash) == .init(matches: true, needsRehash: false))
        #expect(await hasher.verify("correct horse battery stapler", against: hash).matches == false)
        #expect(await hasher.verify("x", against: "$scrypt$garbage").matches == false)
        let stronger = PasswordHasher(parameters: ScryptParameters(logN: 11, r: 8, p: 1))
        #expect(await stronger.verify("correct horse battery staple", against: hash) == .init(matches: true, needsRehash: true))
    }

    @Test("sign-in re-hashes a password stored with older parameters")
    func upgradeOnSignIn() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let before = try #require(try await world.store.account(username: "agent")).passwordHash
        var costlier = RegistryOptions.testing(watch: nil)
        costlier.hasher = PasswordHasher(parameters: ScryptParameters(logN: 11, r: 8, p: 1))
        let upgraded = try await world.reopened(costlier).auth
        _ = try await upgraded.signIn(username: "agent", password: World.password)
        let after = try #require(try await world.store.account(username: "agent")).passwordHash
        #expect(before.hasPrefix("$scrypt$ln=10,") && after.hasPrefix("$scrypt$ln=11,"))
        _ = try await upgraded.signIn(username: "agent", password: World.password)
    }

    @Test("weak passwords are refused with a reason and no echo", arguments: [
        "hunter2", "password1234", "PASSWORD123!", "aaaaaaaaaaaaaa", "abababababab", "abcdefghijklmn", "9876543210987",
        "marie.parent-secret", "guichet-is-great",
    ])
    func weakPasswords(_ password: String) {
        #expect { try PasswordRules.check(password, username: "marie.parent") } throws: { error in
            guard case GuichetError.invalid(let m) = error else { return false }
            return !m.contains(password)
        }
    }

    @Test("long unrelated words pass, without composition rules")
    func goodPasswords() throws {
        try PasswordRules.check("correct horse battery staple", username: "marie.parent")
        try PasswordRules.check("quatre saisons sous la pluie", username: "marie.parent")
    }
}

extension PasswordHasher {
    /// The raw scrypt output of 64 bytes, for the RFC vector.
    static func derive64(_ password: String, salt: [UInt8], _ p: ScryptParameters) async throws -> [UInt8] {
        try await derive(password, salt: salt, p, length: 64)
    }
}
