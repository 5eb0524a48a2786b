import Foundation
import Synchronization
import Testing
import GuichetAuth
import GuichetCore
import GuichetStore

/// The guarantees of ``AuthStorage``, checked through the protocol only, against every
/// storage back-end (``StorageBackends``): above all that the single-use steps stay
/// single-use under concurrency, and that the sign-in throttle counts before it answers.
@Suite struct AuthStorageContractTests {
    typealias B = StorageUnderTest

    // MARK: accounts

    @Test("an account round-trips by id and by user name; a taken user name is a duplicate; accounts() is by user name", arguments: StorageBackends.names)
    func accounts(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let org = try await b.addOrganisation("daycare")
            let zoe = try await b.addAccount("zoe-synthetic", role: "partner", status: "pending", organisation: org, at: B.at(5))
            let adam = try await b.addAccount("adam-synthetic", at: B.at(6))
            #expect(try await b.auth.account(id: zoe.id) == zoe)
            #expect(try await b.auth.account(username: "zoe-synthetic") == zoe)
            #expect(try await b.auth.account(id: AccountID()) == nil)
            #expect(try await b.auth.account(username: "nobody-synthetic") == nil)

            await #expect { try await b.addAccount("zoe-synthetic", role: "admin") } throws: { isDuplicate($0) }
            #expect(try await b.auth.account(username: "zoe-synthetic") == zoe, "the first holder of the name keeps it")
            #expect(try await b.auth.accounts().map(\.id) == [adam.id, zoe.id])
        }
    }

    @Test("accounts(roles:) returns the accounts of those roles only, by user name; no role, no account", arguments: StorageBackends.names)
    func accountsByRole(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let zed = try await b.addAccount("zed-synthetic", role: "security", at: B.at(1))
            let amy = try await b.addAccount("amy-synthetic", role: "agent", at: B.at(2))
            _ = try await b.addAccount("bob-synthetic", role: "parent", at: B.at(3))
            let cat = try await b.addAccount("cat-synthetic", role: "security", status: "disabled", at: B.at(4))
            #expect(try await b.auth.accounts(roles: ["security"]).map(\.id) == [cat.id, zed.id])
            #expect(try await b.auth.accounts(roles: ["security", "agent"]).map(\.id) == [amy.id, cat.id, zed.id])
            #expect(try await b.auth.accounts(roles: []).isEmpty)
            #expect(try await b.auth.accounts(roles: ["nobody"]).isEmpty)
        }
    }

    @Test("setPasswordHash replaces the hash of that account only", arguments: StorageBackends.names)
    func passwordHash(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let one = try await b.addAccount(), two = try await b.addAccount()
            try await b.auth.setPasswordHash("new-synthetic-hash", for: one.id)
            #expect(try await b.auth.account(id: one.id)?.passwordHash == "new-synthetic-hash")
            #expect(try await b.auth.account(username: one.username)?.passwordHash == "new-synthetic-hash")
            #expect(try await b.auth.account(id: two.id)?.passwordHash == two.passwordHash)
        }
    }

    @Test("hasSecondFactor is read with the account: only a confirmed app or passkey counts, not an unconfirmed one nor recovery codes", arguments: StorageBackends.names)
    func hasSecondFactor(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount()
            #expect(try await b.auth.account(id: a.id)?.hasSecondFactor == false)
            try await b.auth.insert(factor: SecondFactorRecord(id: "f-totp", account: a.id, kind: "totp", secret: Data("sealed".utf8),
                                                               credentialID: nil, counter: 0, confirmed: false), at: B.at(1))
            try await b.auth.insert(factor: SecondFactorRecord(id: "f-rec", account: a.id, kind: "recovery", secret: fakeHash("r"),
                                                               credentialID: nil, counter: 0, confirmed: true), at: B.at(2))
            #expect(try await b.auth.account(id: a.id)?.hasSecondFactor == false)
            #expect(try await b.auth.advance(factor: "f-totp", from: 0, to: 59_000_000))
            #expect(try await b.auth.account(id: a.id)?.hasSecondFactor == true)
            #expect(try await b.auth.account(username: a.username)?.hasSecondFactor == true)
        }
    }

    // MARK: sessions

    @Test("a session round-trips by its token's hash; touch, second factor and revocation show in it", arguments: StorageBackends.names)
    func sessionLifecycle(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount()
            let id = SessionID()
            try await b.auth.insertSession(id: id, tokenHash: fakeHash("t1"), account: a.id, at: B.at(10), expiresAt: B.at(3_610))
            var s = try #require(try await b.auth.session(tokenHash: fakeHash("t1")))
            #expect(s.id == id && s.account == a.id && s.lastSeenAt == B.at(10) && s.expiresAt == B.at(3_610))
            #expect(!s.revoked && s.secondFactorAt == nil)
            #expect(try await b.auth.session(tokenHash: fakeHash("unknown")) == nil)

            try await b.auth.touchSession(id, at: B.at(50))
            try await b.auth.markSecondFactor(session: id, at: B.at(60))
            s = try #require(try await b.auth.session(tokenHash: fakeHash("t1")))
            #expect(s.lastSeenAt == B.at(50) && s.secondFactorAt == B.at(60) && !s.revoked)
            #expect(try await b.auth.openSessions(account: a.id, now: B.at(70)).map(\.secondFactorAt) == [B.at(60)])

            // A new token for the same session: the old one finds nothing, the session is the same.
            #expect(try await b.auth.rekeySession(tokenHash: fakeHash("t1"), to: fakeHash("t2")))
            #expect(try await b.auth.session(tokenHash: fakeHash("t1")) == nil)
            let renewed = try #require(try await b.auth.session(tokenHash: fakeHash("t2")))
            #expect(renewed.id == id && renewed.secondFactorAt == B.at(60) && !renewed.revoked)
            #expect(try await !b.auth.rekeySession(tokenHash: fakeHash("t1"), to: fakeHash("t3")), "the old token renews nothing")

            try await b.auth.revokeSession(tokenHash: fakeHash("t2"), at: B.at(80))
            #expect(try await b.auth.session(tokenHash: fakeHash("t2"))?.revoked == true)
            #expect(try await !b.auth.rekeySession(tokenHash: fakeHash("t2"), to: fakeHash("t4")), "a revoked session gets no new token")
            #expect(try await b.auth.openSessions(account: a.id, now: B.at(90)).isEmpty)
        }
    }

    @Test("revokeSessions keeping N ends all but the N newest open sessions of one account, and no other account's", arguments: StorageBackends.names)
    func revokeBeyondNewest(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount(), other = try await b.addAccount()
            for i in 0..<6 {
                try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("n\(i)"), account: a.id, at: B.at(i), expiresAt: B.at(3_600))
            }
            try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("x"), account: other.id, at: B.at(0), expiresAt: B.at(3_600))
            try await b.auth.revokeSession(tokenHash: fakeHash("n5"), at: B.at(6))  // the newest, already ended
            #expect(try await b.auth.revokeSessions(account: a.id, keeping: 2, at: B.at(10)) == 3)
            for i in 0..<3 { #expect(try await b.auth.session(tokenHash: fakeHash("n\(i)"))?.revoked == true, "n\(i)") }
            for i in 3..<5 { #expect(try await b.auth.session(tokenHash: fakeHash("n\(i)"))?.revoked == false, "n\(i)") }
            #expect(try await b.auth.session(tokenHash: fakeHash("x"))?.revoked == false)
            #expect(try await b.auth.revokeSessions(account: a.id, keeping: 2, at: B.at(11)) == 0)
        }
    }

    @Test("revokeSessions ends every open session of one account and says how many were open", arguments: StorageBackends.names)
    func revokeAll(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount(), other = try await b.addAccount()
            for i in 0..<4 {
                try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("a\(i)"), account: a.id, at: B.at(i), expiresAt: B.at(3_600))
            }
            try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("o"), account: other.id, at: B.at(0), expiresAt: B.at(3_600))
            try await b.auth.revokeSession(tokenHash: fakeHash("a0"), at: B.at(5))

            #expect(try await b.auth.revokeSessions(account: a.id, at: B.at(10)) == 3)
            #expect(try await b.auth.revokeSessions(account: a.id, at: B.at(11)) == 0)
            for i in 0..<4 { #expect(try await b.auth.session(tokenHash: fakeHash("a\(i)"))?.revoked == true) }
            #expect(try await b.auth.session(tokenHash: fakeHash("o"))?.revoked == false)
            #expect(try await b.auth.openSessions(account: other.id, now: B.at(12)).count == 1)
        }
    }

    @Test("openSessions: most recently used first, without revoked or expired ones, nor another account's", arguments: StorageBackends.names)
    func openSessionsOrder(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount(), other = try await b.addAccount()
            let (s1, s2, s3, revoked, expired) = (SessionID(), SessionID(), SessionID(), SessionID(), SessionID())
            try await b.auth.insertSession(id: s1, tokenHash: fakeHash("s1"), account: a.id, at: B.at(0), expiresAt: B.at(1_000))
            try await b.auth.insertSession(id: s2, tokenHash: fakeHash("s2"), account: a.id, at: B.at(10), expiresAt: B.at(1_000))
            try await b.auth.insertSession(id: s3, tokenHash: fakeHash("s3"), account: a.id, at: B.at(20), expiresAt: B.at(1_000))
            try await b.auth.insertSession(id: revoked, tokenHash: fakeHash("r"), account: a.id, at: B.at(30), expiresAt: B.at(1_000))
            try await b.auth.insertSession(id: expired, tokenHash: fakeHash("e"), account: a.id, at: B.at(40), expiresAt: B.at(150))
            try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("o"), account: other.id, at: B.at(50), expiresAt: B.at(1_000))
            try await b.auth.touchSession(s2, at: B.at(100))
            try await b.auth.revokeSession(tokenHash: fakeHash("r"), at: B.at(110))

            let open = try await b.auth.openSessions(account: a.id, now: B.at(200))
            #expect(open.map(\.id) == [s2, s3, s1])
            #expect(open.first?.createdAt == B.at(10) && open.first?.lastSeenAt == B.at(100) && open.first?.expiresAt == B.at(1_000))
            // Before its absolute end, the expired one was open.
            #expect(try await b.auth.openSessions(account: a.id, now: B.at(120)).map(\.id) == [s2, expired, s3, s1])
        }
    }

    @Test("revokeSession(id:account:) ends that account's session once, and never another account's", arguments: StorageBackends.names)
    func revokeOneByID(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount(), intruder = try await b.addAccount()
            let s = SessionID()
            try await b.auth.insertSession(id: s, tokenHash: fakeHash("s"), account: a.id, at: B.at(0), expiresAt: B.at(1_000))
            #expect(try await b.auth.revokeSession(id: s, account: intruder.id, at: B.at(1)) == false)
            #expect(try await b.auth.session(tokenHash: fakeHash("s"))?.revoked == false)
            #expect(try await b.auth.revokeSession(id: SessionID(), account: a.id, at: B.at(1)) == false)
            #expect(try await b.auth.revokeSession(id: s, account: a.id, at: B.at(2)) == true)
            #expect(try await b.auth.session(tokenHash: fakeHash("s"))?.revoked == true)
            #expect(try await b.auth.revokeSession(id: s, account: a.id, at: B.at(3)) == false)
        }
    }

    // MARK: activation codes

    @Test("only the newest activation code of an account works, once, and notes the session that used it", arguments: StorageBackends.names)
    func activationNewestOnce(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), a = try await b.addAccount(), other = try await b.addAccount()
            try await b.auth.insertActivation(id: "act-1", account: a.id, codeHash: fakeHash("c1"), delivery: "email", by: admin.id,
                                              at: B.at(0), expiresAt: B.at(86_400), status: "issued")
            try await b.auth.insertActivation(id: "act-2", account: a.id, codeHash: fakeHash("c2"), delivery: "email", by: admin.id,
                                              at: B.at(10), expiresAt: B.at(86_400), status: "issued")
            try await b.auth.insertActivation(id: "act-o", account: other.id, codeHash: fakeHash("co"), delivery: "email", by: admin.id,
                                              at: B.at(10), expiresAt: B.at(86_400), status: "issued")
            let (used, idle) = (SessionID(), SessionID())
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("c1"), session: used, at: B.at(20)) == false)
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("co"), session: used, at: B.at(20)) == false,
                    "another account's code")
            #expect(try await b.auth.sessionActivated(used) == false)
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("c2"), session: used, at: B.at(20)) == true)
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("c2"), session: idle, at: B.at(21)) == false)
            #expect(try await b.auth.sessionActivated(used) == true)
            #expect(try await b.auth.sessionActivated(idle) == false)
            // The other account's code was not replaced by a's.
            #expect(try await b.auth.redeemActivation(account: other.id, codeHash: fakeHash("co"), session: idle, at: B.at(22)) == true)
        }
    }

    @Test("two concurrent redemptions of one activation code: exactly one succeeds", arguments: StorageBackends.names)
    func activationRace(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount()
            for round in 0..<5 {
                try await b.auth.insertActivation(id: "act-\(round)", account: a.id, codeHash: fakeHash("c\(round)"), delivery: "email", by: nil,
                                                  at: B.at(round), expiresAt: B.at(86_400), status: "issued")
                let auth = b.auth
                let results = try await concurrently(2) { _ in
                    try await auth.redeemActivation(account: a.id, codeHash: fakeHash("c\(round)"), session: SessionID(), at: B.at(100 + round))
                }
                #expect(results.filter { $0 }.count == 1, "round \(round): \(results)")
            }
        }
    }

    @Test("an activation code works only issued and unexpired: not while sending, never when not sent, not once expired", arguments: StorageBackends.names)
    func activationStates(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let (a, c, d) = (try await b.addAccount(), try await b.addAccount(), try await b.addAccount())
            let s = SessionID()
            try await b.auth.insertActivation(id: "act-a", account: a.id, codeHash: fakeHash("a"), delivery: "email", by: nil,
                                              at: B.at(0), expiresAt: B.at(1_000), status: "sending")
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("a"), session: s, at: B.at(1)) == false)
            try await b.auth.setActivationStatus("act-a", sent: true)
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("a"), session: s, at: B.at(2)) == true)

            try await b.auth.insertActivation(id: "act-c", account: c.id, codeHash: fakeHash("c"), delivery: "email", by: nil,
                                              at: B.at(0), expiresAt: B.at(1_000), status: "sending")
            try await b.auth.setActivationStatus("act-c", sent: false)
            #expect(try await b.auth.redeemActivation(account: c.id, codeHash: fakeHash("c"), session: s, at: B.at(3)) == false)

            try await b.auth.insertActivation(id: "act-d", account: d.id, codeHash: fakeHash("d"), delivery: "email", by: nil,
                                              at: B.at(0), expiresAt: B.at(1_000), status: "issued")
            #expect(try await b.auth.redeemActivation(account: d.id, codeHash: fakeHash("d"), session: s, at: B.at(1_001)) == false)
            #expect(try await b.auth.redeemActivation(account: d.id, codeHash: fakeHash("d"), session: s, at: B.at(999)) == true)
        }
    }

    @Test("an activation awaiting approval: listed oldest first, refused to its requester, approved once by a second administrator, then usable", arguments: StorageBackends.names)
    func activationApproval(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let first = try await b.addAccount(role: "admin"), second = try await b.addAccount(role: "admin")
            let a = try await b.addAccount(), c = try await b.addAccount()
            try await b.auth.insertActivation(id: "act-late", account: c.id, codeHash: nil, delivery: "hand", by: first.id,
                                              at: B.at(20), expiresAt: B.at(1_000), status: "awaiting-approval")
            try await b.auth.insertActivation(id: "act-early", account: a.id, codeHash: nil, delivery: "hand", by: first.id,
                                              at: B.at(10), expiresAt: B.at(1_000), status: "awaiting-approval")
            let waiting = try await b.auth.activationsAwaitingApproval()
            #expect(waiting.map(\.id) == ["act-early", "act-late"])
            #expect(waiting.first?.account == a.id && waiting.first?.issuedBy == first.id && waiting.first?.status == "awaiting-approval")
            #expect(waiting.first?.delivery == "hand" && waiting.first?.approvedBy == nil)

            #expect(try await b.auth.approveActivation("act-early", codeHash: fakeHash("x"), by: first.id, at: B.at(30), expiresAt: B.at(2_000)) == nil)
            #expect(try await b.auth.approveActivation("act-unknown", codeHash: fakeHash("y"), by: second.id, at: B.at(30), expiresAt: B.at(2_000)) == nil)
            let approved = try #require(try await b.auth.approveActivation("act-early", codeHash: fakeHash("z"), by: second.id,
                                                                           at: B.at(30), expiresAt: B.at(2_000)))
            #expect(approved.id == "act-early" && approved.account == a.id && approved.approvedBy == second.id)
            #expect(approved.status == "issued" && approved.expiresAt == B.at(2_000))
            #expect(try await b.auth.approveActivation("act-early", codeHash: fakeHash("w"), by: second.id, at: B.at(31), expiresAt: B.at(2_000)) == nil)
            #expect(try await b.auth.activationsAwaitingApproval().map(\.id) == ["act-late"])
            // The requester's refused code is not the code; the approved one is, and past the first expiry.
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("x"), session: SessionID(), at: B.at(1_500)) == false)
            #expect(try await b.auth.redeemActivation(account: a.id, codeHash: fakeHash("z"), session: SessionID(), at: B.at(1_500)) == true)
        }
    }

    // MARK: claim codes

    @Test("claim codes: the newest of a person replaces the earlier, a live locator is a duplicate, a wrong or expired code stands for nobody", arguments: StorageBackends.names)
    func claimCodes(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let p = try await b.addPerson(), q = try await b.addPerson()
            try await b.auth.insertClaim(id: "cl-1", locator: "LOCA1", person: p, codeHash: fakeHash("k1"), by: nil, from: nil, at: B.at(0), expiresAt: B.at(1_000))
            #expect(try await b.auth.liveClaim(locator: "LOCA1", codeHash: fakeHash("k1"), at: B.at(1))?.person == p)
            #expect(try await b.auth.liveClaim(locator: "LOCA1", codeHash: fakeHash("wrong"), at: B.at(1))?.person == nil)
            #expect(try await b.auth.liveClaim(locator: "LOCA1", codeHash: fakeHash("k1"), at: B.at(1_001))?.person == nil)

            try await b.auth.insertClaim(id: "cl-2", locator: "LOCA2", person: p, codeHash: fakeHash("k2"), by: nil, from: nil, at: B.at(10), expiresAt: B.at(1_000))
            #expect(try await b.auth.liveClaim(locator: "LOCA1", codeHash: fakeHash("k1"), at: B.at(11))?.person == nil)
            #expect(try await b.auth.liveClaim(locator: "LOCA2", codeHash: fakeHash("k2"), at: B.at(11))?.person == p)

            await #expect {
                try await b.auth.insertClaim(id: "cl-3", locator: "LOCA2", person: q, codeHash: fakeHash("k3"), by: nil, from: nil, at: B.at(20), expiresAt: B.at(1_000))
            } throws: { isDuplicate($0) }
            #expect(try await b.auth.liveClaim(locator: "LOCA2", codeHash: fakeHash("k2"), at: B.at(21))?.person == p, "the live code is untouched")
            // A replaced code's locator is free again.
            try await b.auth.insertClaim(id: "cl-4", locator: "LOCA1", person: q, codeHash: fakeHash("k4"), by: nil, from: nil, at: B.at(30), expiresAt: B.at(1_000))
            #expect(try await b.auth.liveClaim(locator: "LOCA1", codeHash: fakeHash("k4"), at: B.at(31))?.person == q)
        }
    }

    @Test("a live claim code keeps who issued it and from where; codes are counted per issuing account, replaced ones too", arguments: StorageBackends.names)
    func claimIssuer(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let p = try await b.addPerson(), q = try await b.addPerson()
            let agent = AccountID(), other = AccountID()
            try await b.auth.insertClaim(id: "cl-1", locator: "LOCE1", person: p, codeHash: fakeHash("e1"), by: agent, from: "2001:db8::7",
                                         at: B.at(0), expiresAt: B.at(1_000))
            #expect(try await b.auth.liveClaim(locator: "LOCE1", codeHash: fakeHash("e1"), at: B.at(1))
                    == LiveClaim(person: p, issuedBy: agent, issuedFrom: "2001:db8::7", issuedAt: B.at(0)))
            try await b.auth.insertClaim(id: "cl-2", locator: "LOCE2", person: q, codeHash: fakeHash("e2"), by: agent, from: nil,
                                         at: B.at(50), expiresAt: B.at(1_000))
            #expect(try await b.auth.liveClaim(locator: "LOCE2", codeHash: fakeHash("e2"), at: B.at(51))?.issuedFrom == nil)
            try await b.auth.insertClaim(id: "cl-3", locator: "LOCE3", person: p, codeHash: fakeHash("e3"), by: other, from: "192.0.2.9",
                                         at: B.at(60), expiresAt: B.at(1_000))
            #expect(try await b.auth.liveClaim(locator: "LOCE1", codeHash: fakeHash("e1"), at: B.at(61)) == nil, "replaced")
            #expect(try await b.auth.claimsIssued(by: agent, since: B.at(0)) == 2, "a replaced code still counts")
            #expect(try await b.auth.claimsIssued(by: agent, since: B.at(10)) == 1)
            #expect(try await b.auth.claimsIssued(by: other, since: B.at(0)) == 1)
            #expect(try await b.auth.claimsIssued(by: AccountID(), since: B.at(0)) == 0)
        }
    }

    static func citizen(_ username: String, person: PersonID) -> AccountRecord {
        AccountRecord(id: AccountID(), username: username, passwordHash: "hash-\(username)", role: "citizen", organisation: nil,
                      person: person, territory: nil, status: "active", createdAt: B.at(100))
    }

    @Test("redeemClaim creates the person's account and spends the code: once", arguments: StorageBackends.names)
    func redeemClaimOnce(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let p = try await b.addPerson(), stranger = try await b.addPerson()
            try await b.auth.insertClaim(id: "cl-1", locator: "LOCB1", person: p, codeHash: fakeHash("k1"), by: nil, from: nil, at: B.at(0), expiresAt: B.at(1_000))
            #expect(try await b.auth.personHasAccount(p) == false)
            // A code stands for its own person only.
            #expect(try await b.auth.redeemClaim(locator: "LOCB1", codeHash: fakeHash("k1"), account: Self.citizen("intruder-synthetic", person: stranger),
                                                 at: B.at(100)) == false)
            #expect(try await b.auth.account(username: "intruder-synthetic") == nil)

            let mine = Self.citizen("citizen-synthetic", person: p)
            #expect(try await b.auth.redeemClaim(locator: "LOCB1", codeHash: fakeHash("k1"), account: mine, at: B.at(100)) == true)
            let stored = try #require(try await b.auth.account(username: "citizen-synthetic"))
            #expect(stored.id == mine.id && stored.person == p && stored.status == "active" && stored.role == "citizen")
            #expect(try await b.auth.personHasAccount(p) == true)
            #expect(try await b.auth.liveClaim(locator: "LOCB1", codeHash: fakeHash("k1"), at: B.at(101))?.person == nil)
            #expect(try await b.auth.redeemClaim(locator: "LOCB1", codeHash: fakeHash("k1"), account: Self.citizen("again-synthetic", person: p),
                                                 at: B.at(102)) == false)
            #expect(try await b.auth.account(username: "again-synthetic") == nil)
        }
    }

    @Test("concurrent redemptions of one claim code: exactly one account is created", arguments: StorageBackends.names)
    func redeemClaimRace(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let p = try await b.addPerson()
            try await b.auth.insertClaim(id: "cl-1", locator: "LOCC1", person: p, codeHash: fakeHash("k1"), by: nil, from: nil, at: B.at(0), expiresAt: B.at(1_000))
            let auth = b.auth
            let results = try await concurrently(4) { i in
                do {
                    return try await auth.redeemClaim(locator: "LOCC1", codeHash: fakeHash("k1"), account: Self.citizen("racer-\(i)-synthetic", person: p),
                                                      at: B.at(100))
                } catch where isDuplicate(error) {
                    return false
                }
            }
            #expect(results.filter { $0 }.count == 1, "\(results)")
            var made = 0
            for i in 0..<4 where try await b.auth.account(username: "racer-\(i)-synthetic") != nil { made += 1 }
            #expect(made == 1)
        }
    }

    @Test("redeemClaim refuses, writing nothing, a person who has an account and a taken user name (duplicate)", arguments: StorageBackends.names)
    func redeemClaimDuplicates(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let p = try await b.addPerson(), q = try await b.addPerson()
            try await b.addAccount("holder-synthetic", role: "citizen", person: p)
            try await b.auth.insertClaim(id: "cl-p", locator: "LOCD1", person: p, codeHash: fakeHash("kp"), by: nil, from: nil, at: B.at(0), expiresAt: B.at(1_000))
            await #expect {
                try await b.auth.redeemClaim(locator: "LOCD1", codeHash: fakeHash("kp"), account: Self.citizen("second-synthetic", person: p), at: B.at(10))
            } throws: { isDuplicate($0) }
            #expect(try await b.auth.account(username: "second-synthetic") == nil)

            try await b.auth.insertClaim(id: "cl-q", locator: "LOCD2", person: q, codeHash: fakeHash("kq"), by: nil, from: nil, at: B.at(0), expiresAt: B.at(1_000))
            await #expect {
                try await b.auth.redeemClaim(locator: "LOCD2", codeHash: fakeHash("kq"), account: Self.citizen("holder-synthetic", person: q), at: B.at(10))
            } throws: { isDuplicate($0) }
            #expect(try await b.auth.personHasAccount(q) == false)
            #expect(try await b.auth.liveClaim(locator: "LOCD2", codeHash: fakeHash("kq"), at: B.at(11))?.person == q, "the code is still live")
            #expect(try await b.auth.redeemClaim(locator: "LOCD2", codeHash: fakeHash("kq"), account: Self.citizen("free-synthetic", person: q), at: B.at(12)))
        }
    }

    // MARK: departures

    @Test("recordDeparture disables the account, ends its sessions and its unused activation code; twice is a duplicate; unknown is notFound", arguments: StorageBackends.names)
    func departure(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), leaver = try await b.addAccount(), stayer = try await b.addAccount()
            try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("l"), account: leaver.id, at: B.at(0), expiresAt: B.at(1_000))
            try await b.auth.insertActivation(id: "act-l", account: leaver.id, codeHash: fakeHash("cl"), delivery: "email", by: admin.id,
                                              at: B.at(0), expiresAt: B.at(1_000), status: "issued")
            #expect(try await b.auth.departure(of: leaver.id) == nil)

            try await b.auth.recordDeparture(leaver.id, reason: "left the service", by: admin.id, at: B.at(10))

            let d = try #require(try await b.auth.departure(of: leaver.id))
            #expect(d.account == leaver.id && d.at == B.at(10) && d.by == admin.id && d.reason == "left the service")
            #expect(try await b.auth.account(id: leaver.id)?.status == "disabled")
            #expect(try await b.auth.session(tokenHash: fakeHash("l"))?.revoked == true)
            #expect(try await b.auth.redeemActivation(account: leaver.id, codeHash: fakeHash("cl"), session: SessionID(), at: B.at(11)) == false)
            #expect(try await b.auth.departure(of: stayer.id) == nil)
            #expect(try await b.auth.account(id: stayer.id)?.status == "active")

            await #expect { try await b.auth.recordDeparture(leaver.id, reason: "again", by: nil, at: B.at(20)) } throws: { isDuplicate($0) }
            #expect(try await b.auth.departure(of: leaver.id)?.reason == "left the service", "the first record is kept")
            await #expect(throws: StoreError.notFound) { try await b.auth.recordDeparture(AccountID(), reason: "nobody", by: nil, at: B.at(20)) }
        }
    }

    @Test("recordDeparture lets the account's pending requests lapse", arguments: StorageBackends.names)
    func departureLapsesRequests(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), leaver = try await b.addAccount(status: "pending")
            try await b.auth.insert(request: AccountRequest(id: "req-l", account: leaver.id, kind: "create", role: "agent", requestedBy: admin.id,
                                                            requestedAt: B.at(0), approvedBy: nil))
            try await b.auth.recordDeparture(leaver.id, reason: "never started", by: admin.id, at: B.at(10))
            // The protocol promises it: the request lapses, and cannot be approved any more.
            #expect(try await b.auth.pendingRequests().isEmpty)
            let second = try await b.addAccount(role: "admin")
            await #expect(throws: StoreError.notFound) { _ = try await b.auth.approve(request: "req-l", by: second.id, at: B.at(11)) }
            #expect(try await b.auth.account(id: leaver.id)?.status == "disabled")
        }
    }

    @Test("departure requests: pending oldest first; the database refuses an approval by the requester; approval records the departure once, by the approver; unknown is notFound", arguments: StorageBackends.names)
    func departureRequests(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let first = try await b.addAccount(role: "admin"), second = try await b.addAccount(role: "admin")
            let officer = try await b.addAccount(role: "security"), other = try await b.addAccount(role: "admin")
            try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("o"), account: officer.id, at: B.at(0), expiresAt: B.at(1_000))
            let late = DepartureRequest(id: "dep-late", account: other.id, reason: "left the service", requestedBy: first.id, requestedAt: B.at(20))
            let early = DepartureRequest(id: "dep-early", account: officer.id, reason: "left the service", requestedBy: first.id, requestedAt: B.at(10))
            try await b.auth.insert(departureRequest: late)
            try await b.auth.insert(departureRequest: early)
            #expect(try await b.auth.pendingDepartureRequests() == [early, late])
            // Nobody asks for their own departure this way either.
            await #expect(throws: (any Error).self) {
                try await b.auth.insert(departureRequest: DepartureRequest(id: "dep-self", account: first.id, reason: "x", requestedBy: first.id, requestedAt: B.at(5)))
            }

            await #expect(throws: (any Error).self) { _ = try await b.auth.approve(departureRequest: "dep-early", by: first.id, at: B.at(30)) }
            #expect(try await b.auth.account(id: officer.id)?.status == "active", "a refused approval changes nothing")
            #expect(try await b.auth.departure(of: officer.id) == nil)
            #expect(try await b.auth.pendingDepartureRequests().map(\.id) == ["dep-early", "dep-late"])
            await #expect(throws: StoreError.notFound) { _ = try await b.auth.approve(departureRequest: "dep-unknown", by: second.id, at: B.at(30)) }

            let done = try await b.auth.approve(departureRequest: "dep-early", by: second.id, at: B.at(30))
            #expect(done == early)
            let d = try #require(try await b.auth.departure(of: officer.id))
            #expect(d.by == second.id && d.at == B.at(30) && d.reason == "left the service")
            #expect(try await b.auth.account(id: officer.id)?.status == "disabled")
            #expect(try await b.auth.session(tokenHash: fakeHash("o"))?.revoked == true)
            #expect(try await b.auth.pendingDepartureRequests().map(\.id) == ["dep-late"])
            await #expect(throws: StoreError.notFound) { _ = try await b.auth.approve(departureRequest: "dep-early", by: second.id, at: B.at(31)) }

            // An account that already left: the approval is refused whole, the request stays.
            try await b.auth.recordDeparture(other.id, reason: "left earlier", by: nil, at: B.at(40))
            await #expect { _ = try await b.auth.approve(departureRequest: "dep-late", by: second.id, at: B.at(41)) } throws: { isDuplicate($0) }
            #expect(try await b.auth.pendingDepartureRequests().map(\.id) == ["dep-late"])
        }
    }

    // MARK: requests

    @Test("requests: pending oldest first; the requester cannot approve; approval applies it once; unknown is notFound", arguments: StorageBackends.names)
    func requests(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let first = try await b.addAccount(role: "admin"), second = try await b.addAccount(role: "admin")
            let newcomer = try await b.addAccount(status: "pending"), promoted = try await b.addAccount(role: "agent")
            let elevate = AccountRequest(id: "req-elevate", account: promoted.id, kind: "elevate", role: "admin", requestedBy: first.id,
                                         requestedAt: B.at(20), approvedBy: nil)
            let create = AccountRequest(id: "req-create", account: newcomer.id, kind: "create", role: "agent", requestedBy: first.id,
                                        requestedAt: B.at(10), approvedBy: nil)
            try await b.auth.insert(request: elevate)
            try await b.auth.insert(request: create)
            #expect(try await b.auth.pendingRequests() == [create, elevate])

            await #expect(throws: (any Error).self) { try await b.auth.approve(request: "req-create", by: first.id, at: B.at(30)) }
            #expect(try await b.auth.account(id: newcomer.id)?.status == "pending")
            #expect(try await b.auth.pendingRequests().map(\.id) == ["req-create", "req-elevate"])

            let approved = try await b.auth.approve(request: "req-create", by: second.id, at: B.at(40))
            #expect(approved.id == "req-create" && approved.account == newcomer.id && approved.kind == "create" && approved.approvedBy == second.id)
            #expect(try await b.auth.account(id: newcomer.id)?.status == "active")
            _ = try await b.auth.approve(request: "req-elevate", by: second.id, at: B.at(41))
            #expect(try await b.auth.account(id: promoted.id)?.role == "admin")
            #expect(try await b.auth.pendingRequests().isEmpty)

            await #expect(throws: StoreError.notFound) { try await b.auth.approve(request: "req-create", by: second.id, at: B.at(50)) }
            await #expect(throws: StoreError.notFound) { try await b.auth.approve(request: "req-unknown", by: second.id, at: B.at(50)) }
        }
    }

    // MARK: password resets

    @Test("a reset is pending only once sent, unused and unexpired", arguments: StorageBackends.names)
    func pendingReset(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), a = try await b.addAccount(), c = try await b.addAccount()
            try await b.auth.insertReset(id: "rs-a", account: a.id, tokenHash: fakeHash("ta"), by: admin.id, at: B.at(0), expiresAt: B.at(1_000))
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("ta"), at: B.at(1)) == nil, "not sent yet")
            try await b.auth.setResetStatus("rs-a", sent: true)
            let (reset, account) = try #require(try await b.auth.pendingReset(tokenHash: fakeHash("ta"), at: B.at(2)))
            #expect(reset.id == "rs-a" && reset.account == a.id && reset.requestedBy == admin.id && reset.status == "sent")
            #expect(reset.requestedAt == B.at(0) && reset.expiresAt == B.at(1_000) && reset.usedAt == nil)
            #expect(account.id == a.id && account.username == a.username)
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("ta"), at: B.at(1_001)) == nil, "expired")
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("unknown"), at: B.at(2)) == nil)

            try await b.auth.insertReset(id: "rs-c", account: c.id, tokenHash: fakeHash("tc"), by: admin.id, at: B.at(0), expiresAt: B.at(1_000))
            try await b.auth.setResetStatus("rs-c", sent: false)
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("tc"), at: B.at(1)) == nil, "never sent")
            #expect(try await b.auth.completeReset("rs-c", passwordHash: "h", throttleKey: "k", at: B.at(2)) == false)
        }
    }

    @Test("only the newest reset of an account works: a new one replaces the older, and once one is used none works", arguments: StorageBackends.names)
    func newestResetOnly(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), a = try await b.addAccount(), other = try await b.addAccount()
            try await b.auth.insertReset(id: "rs-old", account: a.id, tokenHash: fakeHash("old"), by: admin.id, at: B.at(0), expiresAt: B.at(1_000))
            try await b.auth.setResetStatus("rs-old", sent: true)
            try await b.auth.insertReset(id: "rs-other", account: other.id, tokenHash: fakeHash("other"), by: admin.id, at: B.at(5), expiresAt: B.at(1_000))
            try await b.auth.setResetStatus("rs-other", sent: true)
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("old"), at: B.at(6)) != nil, "another account's reset replaces nothing")
            try await b.auth.insertReset(id: "rs-new", account: a.id, tokenHash: fakeHash("new"), by: admin.id, at: B.at(10), expiresAt: B.at(1_000))
            try await b.auth.setResetStatus("rs-new", sent: true)
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("old"), at: B.at(11)) == nil, "the older code was replaced")
            #expect(try await b.auth.completeReset("rs-old", passwordHash: "old-hash", throttleKey: "k", at: B.at(11)) == false)
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("new"), at: B.at(11)) != nil)
            #expect(try await b.auth.completeReset("rs-new", passwordHash: "new-hash", throttleKey: "k", at: B.at(12)))
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("old"), at: B.at(13)) == nil)
            #expect(try await b.auth.completeReset("rs-old", passwordHash: "old-hash", throttleKey: "k", at: B.at(13)) == false, "nor after the newer was used")
            #expect(try await b.auth.account(id: a.id)?.passwordHash == "new-hash")
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("other"), at: B.at(14)) != nil)
        }
    }

    @Test("completeReset sets the password, spends the reset, ends every session and clears the throttle; then never again", arguments: StorageBackends.names)
    func completeReset(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), a = try await b.addAccount()
            for i in 0..<2 {
                try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("s\(i)"), account: a.id, at: B.at(i), expiresAt: B.at(5_000))
            }
            for i in 0..<3 {
                let r = try await b.auth.reserveSignInAttempt(key: "throttle-a", at: B.at(i), lockoutAfter: 3, wait: { _ in 0 })
                #expect(r.retryAfter == nil)
            }
            #expect(try await b.auth.reserveSignInAttempt(key: "throttle-a", at: B.at(5), lockoutAfter: 3, wait: { _ in 60 }).retryAfter != nil)
            try await b.auth.insertReset(id: "rs-a", account: a.id, tokenHash: fakeHash("ta"), by: admin.id, at: B.at(0), expiresAt: B.at(1_000))
            try await b.auth.setResetStatus("rs-a", sent: true)

            #expect(try await b.auth.completeReset("rs-a", passwordHash: "reset-synthetic-hash", throttleKey: "throttle-a", at: B.at(10)))

            #expect(try await b.auth.account(id: a.id)?.passwordHash == "reset-synthetic-hash")
            #expect(try await b.auth.openSessions(account: a.id, now: B.at(11)).isEmpty)
            for i in 0..<2 { #expect(try await b.auth.session(tokenHash: fakeHash("s\(i)"))?.revoked == true) }
            let after = try await b.auth.reserveSignInAttempt(key: "throttle-a", at: B.at(11), lockoutAfter: 3, wait: { _ in 60 })
            #expect(after.retryAfter == nil && after.failures == 1, "the throttle starts again")
            #expect(try await b.auth.pendingReset(tokenHash: fakeHash("ta"), at: B.at(12)) == nil)
            #expect(try await b.auth.completeReset("rs-a", passwordHash: "second-hash", throttleKey: "throttle-a", at: B.at(13)) == false)
            #expect(try await b.auth.account(id: a.id)?.passwordHash == "reset-synthetic-hash")
        }
    }

    @Test("completeReset: refused once expired; of concurrent completions exactly one succeeds", arguments: StorageBackends.names)
    func completeResetRaceAndExpiry(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin"), a = try await b.addAccount(), c = try await b.addAccount()
            try await b.auth.insertReset(id: "rs-c", account: c.id, tokenHash: fakeHash("tc"), by: admin.id, at: B.at(0), expiresAt: B.at(100))
            try await b.auth.setResetStatus("rs-c", sent: true)
            #expect(try await b.auth.completeReset("rs-c", passwordHash: "late", throttleKey: "k", at: B.at(101)) == false)
            #expect(try await b.auth.account(id: c.id)?.passwordHash == c.passwordHash)

            try await b.auth.insertReset(id: "rs-a", account: a.id, tokenHash: fakeHash("ta"), by: admin.id, at: B.at(0), expiresAt: B.at(1_000))
            try await b.auth.setResetStatus("rs-a", sent: true)
            let auth = b.auth
            let results = try await concurrently(4) { i in
                try await auth.completeReset("rs-a", passwordHash: "racer-\(i)", throttleKey: "k", at: B.at(10))
            }
            #expect(results.filter { $0 }.count == 1, "\(results)")
            #expect(try await b.auth.account(id: a.id)?.passwordHash.hasPrefix("racer-") == true)
        }
    }

    // MARK: second factors

    @Test("factors are listed by account, all or of one kind, in the order added, as stored", arguments: StorageBackends.names)
    func factorsList(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount(), other = try await b.addAccount()
            let totp = SecondFactorRecord(id: "f-totp", account: a.id, kind: "totp", secret: Data("sealed-secret".utf8), credentialID: nil,
                                          counter: 0, confirmed: false)
            let key = SecondFactorRecord(id: "f-key", account: a.id, kind: "webauthn", secret: Data("public-key".utf8),
                                         credentialID: Data("credential".utf8), counter: 7, confirmed: true)
            let rec = SecondFactorRecord(id: "f-rec", account: a.id, kind: "recovery", secret: fakeHash("rec"), credentialID: nil,
                                         counter: 0, confirmed: true)
            try await b.auth.insert(factor: totp, at: B.at(1))
            try await b.auth.insert(factor: key, at: B.at(2))
            try await b.auth.insert(factor: rec, at: B.at(3))
            try await b.auth.insert(factor: SecondFactorRecord(id: "f-other", account: other.id, kind: "totp", secret: Data("x".utf8),
                                                               credentialID: nil, counter: 0, confirmed: true), at: B.at(4))
            #expect(try await b.auth.factors(account: a.id, kind: nil) == [totp, key, rec])
            #expect(try await b.auth.factors(account: a.id, kind: "webauthn") == [key])
            #expect(try await b.auth.factors(account: a.id, kind: "totp") == [totp])
            #expect(try await b.auth.factors(account: AccountID(), kind: nil).isEmpty)
        }
    }

    @Test("advance moves a counter only from the value expected, and confirms the factor; of concurrent advances from one value exactly one wins", arguments: StorageBackends.names)
    func advance(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount()
            try await b.auth.insert(factor: SecondFactorRecord(id: "f-totp", account: a.id, kind: "totp", secret: Data("s".utf8), credentialID: nil,
                                                               counter: 0, confirmed: false), at: B.at(1))
            #expect(try await b.auth.advance(factor: "f-totp", from: 5, to: 6) == false)
            #expect(try await b.auth.factors(account: a.id, kind: "totp").first?.confirmed == false)
            #expect(try await b.auth.advance(factor: "f-totp", from: 0, to: 100) == true)
            var f = try #require(try await b.auth.factors(account: a.id, kind: "totp").first)
            #expect(f.counter == 100 && f.confirmed)
            #expect(try await b.auth.advance(factor: "f-totp", from: 0, to: 101) == false, "no replay from an old value")
            #expect(try await b.auth.advance(factor: "f-unknown", from: 0, to: 1) == false)

            let auth = b.auth
            let results = try await concurrently(6) { i in try await auth.advance(factor: "f-totp", from: 100, to: Int64(200 + i)) }
            #expect(results.filter { $0 }.count == 1, "\(results)")
            f = try #require(try await b.auth.factors(account: a.id, kind: "totp").first)
            #expect((200..<206).contains(f.counter))
        }
    }

    @Test("dropUnconfirmed removes only the account's unconfirmed factors of that kind", arguments: StorageBackends.names)
    func dropUnconfirmed(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount(), other = try await b.addAccount()
            func factor(_ id: String, _ account: AccountID, _ kind: String, confirmed: Bool) -> SecondFactorRecord {
                SecondFactorRecord(id: id, account: account, kind: kind, secret: Data(id.utf8), credentialID: kind == "webauthn" ? Data(id.utf8) : nil,
                                   counter: 0, confirmed: confirmed)
            }
            let kept = [factor("f-1", a.id, "totp", confirmed: true), factor("f-3", a.id, "webauthn", confirmed: false)]
            try await b.auth.insert(factor: kept[0], at: B.at(1))
            try await b.auth.insert(factor: factor("f-2", a.id, "totp", confirmed: false), at: B.at(2))
            try await b.auth.insert(factor: kept[1], at: B.at(3))
            try await b.auth.insert(factor: factor("f-4", a.id, "totp", confirmed: false), at: B.at(4))
            let others = factor("f-5", other.id, "totp", confirmed: false)
            try await b.auth.insert(factor: others, at: B.at(5))

            try await b.auth.dropUnconfirmed(account: a.id, kind: "totp")
            #expect(try await b.auth.factors(account: a.id, kind: nil) == kept)
            #expect(try await b.auth.factors(account: other.id, kind: nil) == [others])
        }
    }

    // MARK: challenges

    @Test("a challenge is taken once; put replaces the session's earlier one; an expired one is nil; sessions are apart", arguments: StorageBackends.names)
    func challenges(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let (s, t) = (SessionID(), SessionID())
            #expect(try await b.auth.takeChallenge(kind: "webauthn.register", session: s, now: B.at(0)) == nil)
            try await b.auth.putChallenge(Data("c1".utf8), kind: "webauthn.register", session: s, expires: B.at(300))
            try await b.auth.putChallenge(Data("c2".utf8), kind: "webauthn.register", session: s, expires: B.at(300))
            try await b.auth.putChallenge(Data("t1".utf8), kind: "webauthn.register", session: t, expires: B.at(300))
            #expect(try await b.auth.takeChallenge(kind: "webauthn.register", session: s, now: B.at(1)) == Data("c2".utf8))
            #expect(try await b.auth.takeChallenge(kind: "webauthn.register", session: s, now: B.at(2)) == nil)
            #expect(try await b.auth.takeChallenge(kind: "webauthn.register", session: t, now: B.at(3)) == Data("t1".utf8))

            // One challenge per session, whatever its kind.
            try await b.auth.putChallenge(Data("a".utf8), kind: "webauthn.register", session: s, expires: B.at(300))
            try await b.auth.putChallenge(Data("b".utf8), kind: "webauthn.assert", session: s, expires: B.at(300))
            #expect(try await b.auth.takeChallenge(kind: "webauthn.assert", session: s, now: B.at(4)) == Data("b".utf8))
            #expect(try await b.auth.takeChallenge(kind: "webauthn.register", session: s, now: B.at(5)) == nil)

            try await b.auth.putChallenge(Data("old".utf8), kind: "webauthn.assert", session: t, expires: B.at(10))
            #expect(try await b.auth.takeChallenge(kind: "webauthn.assert", session: t, now: B.at(11)) == nil)
        }
    }

    @Test("of concurrent takes of one challenge exactly one gets it", arguments: StorageBackends.names)
    func challengeRace(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let s = SessionID()
            try await b.auth.putChallenge(Data("only-once".utf8), kind: "webauthn.assert", session: s, expires: B.at(300))
            let auth = b.auth
            let taken = try await concurrently(6) { _ in try await auth.takeChallenge(kind: "webauthn.assert", session: s, now: B.at(1)) }
            #expect(taken.compactMap { $0 } == [Data("only-once".utf8)])
        }
    }

    // MARK: sign-in throttle

    @Test("reserveSignInAttempt counts before it answers: of many concurrent attempts, no more proceed than the wait allows", arguments: StorageBackends.names)
    func throttleRace(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let allowed = 3, attempts = 12
            let auth = b.auth
            let results = try await concurrently(attempts) { _ in
                try await auth.reserveSignInAttempt(key: "throttle-race", at: B.at(0), lockoutAfter: allowed,
                                                    wait: { state in state.failures >= allowed ? 3_600 : 0 })
            }
            let proceeded = results.filter { $0.retryAfter == nil }
            #expect(proceeded.count == allowed, "\(results)")
            #expect(proceeded.map(\.failures).sorted() == Array(1...allowed), "each attempt that proceeds is counted")
            #expect(results.filter { $0.retryAfter != nil }.allSatisfy { $0.failures == allowed })
            // Another key has its own count.
            #expect(try await auth.reserveSignInAttempt(key: "throttle-other", at: B.at(0), lockoutAfter: allowed, wait: { _ in 0 }).failures == 1)
        }
    }

    @Test("reserveSignInAttempt: wait gets the failures and the last attempt; an attempt within the wait is told how long; clearThrottle forgets", arguments: StorageBackends.names)
    func throttleBackoff(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let seen = Mutex<[ThrottleState]>([])
            let wait: @Sendable (ThrottleState) -> TimeInterval = { state in
                seen.withLock { $0.append(state) }
                return state.failures >= 1 ? 30 : 0
            }
            var r = try await b.auth.reserveSignInAttempt(key: "k", at: B.at(0), lockoutAfter: 10, wait: wait)
            #expect(r.retryAfter == nil && r.failures == 1)
            #expect(seen.withLock { $0.last?.failures } == 0)

            r = try await b.auth.reserveSignInAttempt(key: "k", at: B.at(10), lockoutAfter: 10, wait: wait)
            #expect(abs((r.retryAfter ?? -1) - 20) < 0.01, "\(r)")
            #expect(r.failures == 1, "an attempt told to wait is not counted")
            let state = try #require(seen.withLock { $0.last })
            #expect(state.failures == 1 && state.lastAttemptAt == B.at(0) && !state.locked)

            r = try await b.auth.reserveSignInAttempt(key: "k", at: B.at(31), lockoutAfter: 10, wait: wait)
            #expect(r.retryAfter == nil && r.failures == 2)

            try await b.auth.clearThrottle(key: "k")
            r = try await b.auth.reserveSignInAttempt(key: "k", at: B.at(32), lockoutAfter: 10, wait: wait)
            #expect(r.retryAfter == nil && r.failures == 1)
            #expect(seen.withLock { $0.last?.failures } == 0)
        }
    }

    @Test("after lockoutAfter failures the key is locked, whatever the time, until clearThrottle", arguments: StorageBackends.names)
    func throttleLock(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let wait: @Sendable (ThrottleState) -> TimeInterval = { $0.locked ? 900 : 0 }
            for i in 1...2 {
                let r = try await b.auth.reserveSignInAttempt(key: "k", at: B.at(i), lockoutAfter: 2, wait: wait)
                #expect(r.retryAfter == nil && r.failures == i)
            }
            let locked = try await b.auth.reserveSignInAttempt(key: "k", at: B.at(86_400), lockoutAfter: 2, wait: wait)
            #expect(locked.retryAfter == 900 && locked.failures == 2)
            try await b.auth.clearThrottle(key: "k")
            let r = try await b.auth.reserveSignInAttempt(key: "k", at: B.at(86_401), lockoutAfter: 2, wait: wait)
            #expect(r.retryAfter == nil && r.failures == 1)
        }
    }

    // MARK: contact, notices, organisations, persons

    @Test("an account's sealed contact: none at first, then the last one set, of that account only", arguments: StorageBackends.names)
    func contact(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount(), other = try await b.addAccount()
            #expect(try await b.auth.contact(of: a.id) == nil)
            try await b.auth.setContact(Data("sealed-contact-1".utf8), for: a.id)
            try await b.auth.setContact(Data("sealed-contact-2".utf8), for: a.id)
            #expect(try await b.auth.contact(of: a.id) == Data("sealed-contact-2".utf8))
            #expect(try await b.auth.contact(of: other.id) == nil)
        }
    }

    @Test("notices: several of one kind at one instant are all accepted", arguments: StorageBackends.names)
    func notices(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let a = try await b.addAccount()
            // The protocol has no reader of notices: this checks only that a back-end does not
            // key them by account, kind or instant.
            try await b.auth.addNotice(account: a.id, kind: "suspicious-sign-in", detail: "synthetic detail", at: B.at(1))
            try await b.auth.addNotice(account: a.id, kind: "suspicious-sign-in", detail: "synthetic detail", at: B.at(1))
            try await b.auth.addNotice(account: a.id, kind: "password-reset", detail: "", at: B.at(1))
            #expect(try await b.auth.account(id: a.id) == a)
        }
    }

    @Test("organisation(_:) returns the organisation stored, nil for an unknown id", arguments: StorageBackends.names)
    func organisation(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let daycare = try await b.addOrganisation("daycare"), ministry = try await b.addOrganisation("ministry")
            let o = try #require(try await b.auth.organisation(daycare))
            #expect(o.id == daycare && o.kind == "daycare")
            #expect(try await b.auth.organisation(ministry)?.kind == "ministry")
            #expect(try await b.auth.organisation(OrganisationID()) == nil)
        }
    }

    @Test("persons(_:) returns the known persons only, at version 1 with their key; personHasAccount follows accounts", arguments: StorageBackends.names)
    func persons(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let p = try await b.addPerson(), q = try await b.addPerson()
            let found = try await b.auth.persons([p, PersonID(), q])
            #expect(Set(found.keys) == [p, q])
            #expect(found[p]?.id == p && found[p]?.version == 1 && found[p]?.key != nil)
            #expect(found[p]?.fields != found[q]?.fields)
            #expect(try await b.auth.persons([]).isEmpty)

            #expect(try await b.auth.personHasAccount(p) == false)
            try await b.addAccount(role: "citizen", person: p)
            #expect(try await b.auth.personHasAccount(p) == true)
            #expect(try await b.auth.personHasAccount(q) == false)
            #expect(try await b.auth.personHasAccount(PersonID()) == false)
        }
    }
}
