import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetMFA

/// The operator's side of a factor reset: `guichet accounts reset-factors` is the way back for
/// an administrator who lost both their phone and their recovery codes (the API refuses one's
/// own reset, and there may be no second administrator).
@Suite(.serialized) struct FactorResetCommandTests {
    @Test("guichet accounts reset-factors removes the administrator's app, prints a new activation code once, and refuses a missing reason or an unknown name")
    func resetFromTheConsole() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("registry").path
        let created = try await CommandLineTests.run(["init", "--data", data])
        #expect(created.status == 0, "stderr: \(created.stderr)")
        let password = try #require(ActivationCommandTests.value(after: "password (shown once", in: created.stdout))
        let first = try #require(ActivationCommandTests.value(after: "Activation code", in: created.stdout))

        // The administrator enrols an app with the first code, then loses it.
        let registry = try await RegistryFolder(data: data).open()
        let session = try await registry.auth.signIn(username: "admin", password: password)
        let (secret, _) = try await registry.auth.beginTOTP(session.principal, activationCode: first)
        try await registry.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))

        let refused = try await CommandLineTests.run(["accounts", "reset-factors", "--data", data, "--username", "admin", "--reason", " "])
        #expect(refused.status != 0 && refused.stderr.contains("reason"), "stderr: \(refused.stderr)")
        let unknown = try await CommandLineTests.run(["accounts", "reset-factors", "--data", data, "--username", "nobody.here", "--reason", "lost phone"])
        #expect(unknown.status != 0)
        let (store, _) = try await RegistryFolder(data: data).store()
        let admin = try #require(try await store.account(username: "admin"))
        #expect(try await store.factors(account: admin.id).count == 11, "nothing was reset by the refused commands")

        let reset = try await CommandLineTests.run(["accounts", "reset-factors", "--data", data, "--username", "admin",
                                                    "--reason", "lost phone and recovery codes, identity checked"])
        #expect(reset.status == 0, "stderr: \(reset.stderr)")
        let code = try #require(ActivationCommandTests.value(after: "Activation code", in: reset.stdout))
        #expect(code.count == 23 && code != first)
        #expect(reset.stdout.components(separatedBy: code).count == 2, "the code is printed once")

        #expect(try await store.factors(account: admin.id).isEmpty)
        let kept = try await store.factorResets(of: admin.id)
        #expect(kept.count == 1 && kept.first?.by == nil && kept.first?.factorsRemoved == 11 && kept.first?.sessionsEnded == 1)
        await #expect(throws: GuichetError.self) { try await registry.auth.authenticate(token: session.token) }
        let back = try await registry.auth.signIn(username: "admin", password: password)
        #expect(back.principal.factorsReset && !back.principal.mayReachPersonalData)
        _ = try await registry.auth.beginTOTP(back.principal, activationCode: code)
    }
}
