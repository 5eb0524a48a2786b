import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetStore

/// The guarantees of ``AuthStorage/resetFactors(_:id:reason:by:at:)`` on every storage back-end
/// (``StorageBackends``): one transaction that removes every factor of that account and of no
/// other, ends its sessions, voids its unused activation codes, marks it and keeps the reset.
@Suite struct FactorResetStorageContractTests {
    typealias B = StorageUnderTest

    /// A TOTP app (confirmed), a passkey, two recovery codes and an unfinished enrolment.
    static func addFactors(_ b: B, _ account: AccountID, prefix: String) async throws {
        let factors = [("totp", true), ("webauthn", true), ("recovery", true), ("recovery", true), ("totp", false)]
        for (i, (kind, confirmed)) in factors.enumerated() {
            try await b.auth.insert(factor: SecondFactorRecord(id: "\(prefix)-\(i)", account: account, kind: kind, secret: fakeHash("\(prefix)\(i)"),
                                                               credentialID: kind == "webauthn" ? fakeHash("cred-\(prefix)") : nil, counter: 0,
                                                               confirmed: confirmed), at: B.at(i))
        }
    }

    @Test("resetFactors removes every factor of that account only, ends its open sessions only, voids its unused codes, marks it and keeps the reset",
          arguments: StorageBackends.names)
    func resetIsWholeAndTargeted(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), a = try await b.addAccount(), other = try await b.addAccount()
            try await Self.addFactors(b, a.id, prefix: "a")
            try await Self.addFactors(b, other.id, prefix: "o")
            #expect(try await b.auth.account(id: a.id)?.hasSecondFactor == true)
            #expect(try await b.auth.account(id: a.id)?.factorsReset == false)
            for (i, account) in [a.id, a.id, other.id].enumerated() {
                try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("s\(i)"), account: account, at: B.at(10), expiresAt: B.at(3_610))
            }
            try await b.auth.revokeSession(tokenHash: fakeHash("s1"), at: B.at(11))
            try await b.auth.insertActivation(id: "act-a", account: a.id, codeHash: fakeHash("ca"), delivery: "email", by: admin.id,
                                              at: B.at(12), expiresAt: B.at(86_400), status: "issued")
            try await b.auth.insertActivation(id: "act-o", account: other.id, codeHash: fakeHash("co"), delivery: "email", by: admin.id,
                                              at: B.at(12), expiresAt: B.at(86_400), status: "issued")

            let reset = try await b.auth.resetFactors(a.id, id: "reset-1", reason: "lost phone, identity checked", by: admin.id, at: B.at(20))
            #expect(reset == FactorResetRecord(id: "reset-1", account: a.id, by: admin.id, at: B.at(20), reason: "lost phone, identity checked",
                                               factorsRemoved: 5, sessionsEnded: 1))
            #expect(try await b.auth.factors(account: a.id).isEmpty)
            let after = try #require(try await b.auth.account(id: a.id))
            #expect(after.factorsReset && !after.hasSecondFactor)
            #expect(try await b.auth.account(username: a.username)?.factorsReset == true)
            #expect(try await b.auth.session(tokenHash: fakeHash("s0"))?.revoked == true)
            #expect(try await b.auth.openSessions(account: a.id, now: B.at(21)).isEmpty)
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("ca"), session: SessionID(), at: B.at(22)) == false,
                    "a code issued before the reset no longer works")
            #expect(try await b.auth.factorResets(of: a.id) == [reset])

            // The other account keeps everything.
            #expect(try await b.auth.factors(account: other.id).count == 5)
            #expect(try await b.auth.account(id: other.id)?.factorsReset == false)
            #expect(try await b.auth.openSessions(account: other.id, now: B.at(21)).count == 1)
            #expect(try await b.auth.factorResets(of: other.id).isEmpty)
            #expect(try await b.auth.redeemActivation(account: other.id, codeHash: fakeHash("co"), session: SessionID(), at: B.at(22)) == true)
        }
    }

    @Test("resetFactors of an unknown account is notFound and keeps nothing", arguments: StorageBackends.names)
    func unknownAccount(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let missing = AccountID()
            await #expect {
                try await b.auth.resetFactors(missing, id: "reset-x", reason: "synthetic reason", by: nil, at: B.at(1))
            } throws: { error in
                if case StoreError.notFound = error { true } else { false }
            }
            #expect(try await b.auth.factorResets(of: missing).isEmpty)
        }
    }

    @Test("an account without any factor may be reset (it is marked); clearFactorsReset lifts the mark, the resets stay, newest first",
          arguments: StorageBackends.names)
    func markAndHistory(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let person = try await b.addPerson()
            let citizen = try await b.addAccount(role: "parent", person: person)
            let first = try await b.auth.resetFactors(citizen.id, id: "reset-1", reason: "password leaked", by: nil, at: B.at(5))
            #expect(first.factorsRemoved == 0 && first.sessionsEnded == 0 && first.by == nil)
            #expect(try await b.auth.account(id: citizen.id)?.factorsReset == true)
            try await b.auth.clearFactorsReset(citizen.id)
            #expect(try await b.auth.account(id: citizen.id)?.factorsReset == false)
            let second = try await b.auth.resetFactors(citizen.id, id: "reset-2", reason: "taken over again", by: nil, at: B.at(9))
            #expect(try await b.auth.account(id: citizen.id)?.factorsReset == true)
            #expect(try await b.auth.factorResets(of: citizen.id) == [second, first])
        }
    }

    @Test("an activation awaiting approval (no code yet) is replaced by a new code and by a reset, and is never approved after",
          arguments: StorageBackends.names)
    func awaitingApprovalReplaced(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), admin2 = try await b.addAccount(role: "admin"), a = try await b.addAccount()
            try await b.auth.insertActivation(id: "wait-1", account: a.id, codeHash: nil, delivery: "hand", by: admin.id,
                                              at: B.at(1), expiresAt: B.at(86_400), status: "awaiting-approval")
            try await b.auth.insertActivation(id: "wait-2", account: a.id, codeHash: nil, delivery: "hand", by: admin.id,
                                              at: B.at(2), expiresAt: B.at(86_400), status: "awaiting-approval")
            #expect(try await b.auth.activationsAwaitingApproval().map(\.id) == ["wait-2"])
            _ = try await b.auth.resetFactors(a.id, id: "reset-1", reason: "lost phone", by: admin.id, at: B.at(3))
            #expect(try await b.auth.activationsAwaitingApproval().isEmpty)
            #expect(try await b.auth.approveActivation("wait-2", codeHash: fakeHash("late"), by: admin2.id, at: B.at(4), expiresAt: B.at(90_000)) == nil)
        }
    }
}
