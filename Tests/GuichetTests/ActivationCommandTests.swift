import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetVault

/// The operator's side of activation codes (issue 14, item 3): `guichet init` prints the first
/// administrator's code once, and `guichet accounts activation` is the recovery path.
@Suite(.serialized) struct ActivationCommandTests {
    /// The text after the last ": " on the line that contains `marker`.
    static func value(after marker: String, in text: String) -> String? {
        text.components(separatedBy: .newlines).first { $0.contains(marker) }?.components(separatedBy: ": ").last
    }

    @Test("guichet init prints the administrator's password and activation code; accounts activation prints a new one that replaces it")
    func initAndRecovery() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("registry").path
        let created = try await CommandLineTests.run(["init", "--data", data])
        #expect(created.status == 0, "stderr: \(created.stderr)")
        let password = try #require(Self.value(after: "password (shown once", in: created.stdout))
        let first = try #require(Self.value(after: "Activation code", in: created.stdout))
        #expect(first.count == 23)

        let again = try await CommandLineTests.run(["accounts", "activation", "--data", data, "--username", "admin"])
        #expect(again.status == 0, "stderr: \(again.stderr)")
        let second = try #require(Self.value(after: "Activation code for 'admin'", in: again.stdout))
        #expect(second.count == 23 && second != first)
        let unknown = try await CommandLineTests.run(["accounts", "activation", "--data", data, "--username", "nobody.here"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no account 'nobody.here'"), "stderr: \(unknown.stderr)")
        // accounts unlock: a mistyped name fails (it exited 0), a real one is unlocked.
        let typo = try await CommandLineTests.run(["accounts", "unlock", "--data", data, "--username", "nobody.here"])
        #expect(typo.status != 0 && typo.stderr.contains("no account 'nobody.here'"), "stderr: \(typo.stderr)")
        let unlocked = try await CommandLineTests.run(["accounts", "unlock", "--data", data, "--username", "admin"])
        #expect(unlocked.status == 0 && unlocked.stdout.contains("'admin' may sign in again"), "stderr: \(unlocked.stderr)")

        let auth = try await RegistryFolder(data: data).open().auth
        let session = try await auth.signIn(username: "admin", password: password)
        await #expect(throws: GuichetError.self) { try await auth.beginTOTP(session.principal, activationCode: first) }
        _ = try await auth.beginTOTP(session.principal, activationCode: second)
    }

    @Test("without a mail relay, a forgotten password comes back through accounts password-reset: a code shown once, the owner's new password chosen on the reset path, journalled, owner and officers told")
    func consolePasswordReset() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "20", "--no-serve"]).status == 0)
        let unknown = try await CommandLineTests.run(["accounts", "password-reset", "--data", data, "--username", "nobody.here"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no account has this user name"), "stderr: \(unknown.stderr)")
        let made = try await CommandLineTests.run(["accounts", "password-reset", "--data", data, "--username", "parent.demo"])
        #expect(made.status == 0, "stderr: \(made.stderr)")
        let code = try #require(Self.value(after: "Password reset code for 'parent.demo'", in: made.stdout))
        let registry = try await RegistryFolder(data: data).open()
        let newPassword = "A new synthetic pass for the family"
        await #expect(throws: GuichetError.self, "an administrator's code is for the admin listener only") {
            try await registry.auth.completeReset(code: code, newPassword: newPassword, source: "192.0.2.8", adminListener: true)
        }
        try await registry.auth.completeReset(code: code, newPassword: newPassword, source: "192.0.2.8", adminListener: false)
        _ = try await registry.auth.signIn(username: "parent.demo", password: newPassword)
        await #expect(throws: GuichetError.unauthenticated, "used once") {
            try await registry.auth.completeReset(code: code, newPassword: newPassword + "!", source: "192.0.2.8", adminListener: false)
        }
        let (store, ledger) = try await RegistryFolder(data: data).store()
        let parent = try #require(try await store.account(username: "parent.demo"))
        #expect(try await store.notices(account: parent.id).contains { $0.kind == "password-reset-started" })
        let officer = try #require(try await store.account(username: "security.demo"))
        #expect(try await store.notices(account: officer.id).contains { $0.kind == "password-reset-started" && $0.detail.contains("parent.demo") })
        #expect(try await ledger.journal().contains { $0.action == "account:password-reset" && $0.reason.contains(parent.id.rawValue) })
        let journal = try await ledger.journal()
        #expect(!made.stderr.contains(code) && !journal.contains { $0.reason.contains(code) }, "the code is shown once, nowhere else")
    }
}
