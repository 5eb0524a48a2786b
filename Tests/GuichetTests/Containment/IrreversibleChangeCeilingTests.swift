import Foundation
import Synchronization
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// An erasure cannot be undone ("files deleted by the intruder", THREATS.md): a stolen
/// security officer's account that erases person after person over the admin API meets the
/// ceiling of changes like any account that changes files. It erases the security kind's
/// `changesBurst`, then `changesGrace` more with a fresh factor and a reason, then is
/// throttled and suspended; a refused erasure erases nothing. The same holds for an
/// administrator's deactivations of staff accounts, which cannot be undone either.
@Suite(.serialized)
struct ErasureCeilingTests {
    static let security = Ceiling.defaults(for: .security)

    /// The children of the world's applications (each linked to its application alone).
    static func children(_ world: StolenAccountWorld) async throws -> [PersonID] {
        let ids = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 60))
        return try await world.store.dossiers(ids).flatMap { $0.persons.filter { $0.role == "child" }.map(\.person) }
    }

    struct Outcome {
        var done: [String] = []
        var refusedCeiling = 0
        var throttled = 0
        var suspended = false
        var erased: [PersonID] { done.map(PersonID.init(trusted:)) }
    }

    /// The attacker: with `username`'s stolen password and app, posts `request(target, n)` for
    /// each target, one a second, over the admin API; when `answers`, meets every demand (a
    /// fresh code, a reason) and waits out every throttle; stops when suspended.
    /// - Parameter passed: answers that mean the request went past the watch (as 201 does).
    static func attack(_ world: StolenAccountWorld, _ username: String, _ targets: [String], secret: String, answers: Bool,
                       passed: Set<HTTPResponse.Status> = [],
                       request: @escaping @Sendable (_ target: String, _ n: Int) -> (path: String, body: String)) async throws -> Outcome {
        let result = Mutex(Outcome())
        let token = try await world.signIn(username, secret: secret)
        try await Application(router: world.server.adminRouter().0).test(.router) { client in
            var outcome = Outcome()
            defer { result.withLock { [outcome] in $0 = outcome } }
            var queue = targets[...]
            var headers: [String: String] = [:]
            var tries = 0
            while let target = queue.first, !outcome.suspended, tries < 400 {
                tries += 1
                world.clock.advance(1)  // a fast attacker: a request a second
                let (path, body) = request(target, tries)
                let r = try await client.send(.post, path, token: token, headers: headers, body: body)
                switch r.status {
                case .created, .ok, .accepted, _ where passed.contains(r.status):
                    outcome.done.append(target)
                    queue = queue.dropFirst()
                case .forbidden where r.text.contains("last 5 minutes"):
                    try await world.stepUp([token], secret: secret)  // the route's own step-up
                case .forbidden where r.text.contains("you have changed") || r.text.contains("you have approved"):
                    outcome.refusedCeiling += 1
                    // The admin listener's refusal names the path that answers it there.
                    #expect(r.text.contains("POST /admin/v1/session/totp") && !r.text.contains("POST /v1/"), "\(r.text)")
                    if answers {
                        try await world.stepUp([token], secret: secret)
                        headers["Guichet-Justification"] = "Requests received by post this week."
                    }
                case .tooManyRequests:
                    outcome.throttled += 1
                    world.clock.advance(16 * 60)
                case .unauthorized:
                    outcome.suspended = true
                default:
                    if r.text.contains("suspended") { outcome.suspended = true } else { Issue.record("unexpected \(r.status): \(r.text)"); return }
                }
            }
        }
        return result.withLock { $0 }
    }

    /// The officer's erasures of `targets`.
    static func attack(_ world: StolenAccountWorld, _ targets: [PersonID], secret: String, answers: Bool) async throws -> Outcome {
        try await attack(world, "security", targets.map(\.rawValue), secret: secret, answers: answers) { person, n in
            ("/admin/v1/erasures", #"{"person": "\#(person)", "reference": "REQ-2027-\#(n)"}"#)
        }
    }

    @Test("a stolen security officer's account that erases person after person without answering erases the kind's ceiling of changes, then is suspended; the others keep their keys")
    func withoutAnswer() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 60, accounts: [("security", "security", "operator")])
        defer { world.remove() }
        let secret = try await world.enrol("security")
        let targets = try await Self.children(world)
        try #require(targets.count >= 30)
        let outcome = try await Self.attack(world, targets, secret: secret, answers: false)
        #expect(outcome.erased.count == Self.security.changesBurst, "erased \(outcome.erased.count)")
        #expect(outcome.suspended, "suspended after ignoring the demand")
        #expect(outcome.refusedCeiling >= 1)
        for person in targets {
            #expect(try await world.store.hasLiveKey(person.rawValue) == !outcome.erased.contains(person), "only the erasures acknowledged happened")
        }
        let alerts = try await world.store.alerts(openOnly: true, account: nil, limit: 50)
        #expect(alerts.contains { $0.detail.contains("dossiers changed") }, "the security officers see the ceiling met")
    }

    @Test("answering every demand, a stolen security officer's account erases the ceiling and its grace, then is throttled and suspended")
    func answering() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 60, accounts: [("security", "security", "operator")])
        defer { world.remove() }
        let secret = try await world.enrol("security")
        let targets = try await Self.children(world)
        let outcome = try await Self.attack(world, targets, secret: secret, answers: true)
        #expect(outcome.erased.count == Self.security.changesBurst + Self.security.changesGrace, "erased \(outcome.erased.count)")
        #expect(outcome.throttled >= 1 && outcome.suspended)
        #expect(outcome.erased.count <= 15, "whatever the attacker does, at most 15 persons erased in a day")
        let erasedKeys = try await targets.asyncFilter { try await !world.store.hasLiveKey($0.rawValue) }
        #expect(Set(erasedKeys) == Set(outcome.erased))
    }

    @Test("on the erasure page, past the ceiling an officer is asked for a code and why, what was typed carried; after them the person is erased")
    func page() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 60, accounts: [("security", "security", "operator")])
        defer { world.remove() }
        let secret = try await world.enrol("security")
        let targets = try await Self.children(world)
        let texts = try #require(try WebPages.bundled.get().texts["en"])
        try await Application(router: world.server.adminRouter().0).test(.router) { client in
            var officer = PageClient(client)
            world.clock.advance(30)
            _ = try await officer.signIn("security", World.password, totp: secret, at: world.clock.now)
            var refused: (PersonID, PageClient.Page)?
            for (i, person) in targets.prefix(Self.security.changesBurst + 1).enumerated() {
                let form = try await officer.get("/web/security/erasures?lang=en")
                let posted = try await officer.post("/web/security/erasures", [("csrf", try #require(form.csrf)), ("person", person.rawValue),
                                                                              ("reference", "REQ-2027-\(i)"), ("confirm", "yes")])
                if posted.status != .seeOther { refused = (person, posted); break }
            }
            let (person, page) = try #require(refused, "the ceiling is met")
            #expect(person == targets[Self.security.changesBurst], "after \(Self.security.changesBurst) erasures")
            #expect(page.status == .forbidden && page.html.contains(#"data-key="errCeilingChanges""#))
            #expect(page.html.contains(PageClientText.escaped(try #require(texts["errCeilingChanges"]))))
            #expect(page.html.contains(#"action="/web/security/erasures" class="stack" id="step-up""#)
                    && page.html.contains(#"name="code""#) && page.html.contains(#"id="justification""#))
            let carried = try WebStepUpKeepsFormTests.carried(page.html)
            #expect(carried.contains { $0 == ("person", person.rawValue) } && carried.contains { $0 == ("confirm", "yes") })
            #expect(try await world.store.hasLiveKey(person.rawValue), "refused: nothing erased")

            world.clock.advance(30)
            let answered = try await officer.post("/web/security/erasures", carried + [
                ("code", try TOTPSecret(base32: secret).code(at: world.clock.now)),
                ("justification", "The citizen's request came by post with a copy of an identity document.")])
            #expect(answered.status == .seeOther && answered.location?.hasPrefix("/web/security/erasures?receipt=") == true, "\(answered.status)")
            #expect(try await !world.store.hasLiveKey(person.rawValue), "erased after the code and the reason")
        }
        let reasons = try await world.store.alerts(openOnly: false, account: nil, limit: 50).compactMap { world.gate.justification(of: $0) }
        #expect(reasons.contains("The citizen's request came by post with a copy of an identity document."))
    }
}

/// A departure cannot be undone: a stolen administrator's account that deactivates staff
/// accounts one after another stops at the admin kind's ceiling of changes, or that and its
/// grace when it answers every demand; then it is throttled and suspended.
@Suite(.serialized)
struct DeactivationCeilingTests {
    static let admin = Ceiling.defaults(for: .admin)

    static func world(staff: Int) async throws -> (StolenAccountWorld, [String]) {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 20, accounts: [("admin", "admin", "operator"), ("admin2", "admin", "operator"),
                                                                                               ("security", "security", "operator")])
        let org = try await world.store.organisations(kind: "operator").first
        var ids: [String] = []
        for i in 0..<staff {
            ids.append(try await world.auth.createAccount(username: "agent.\(i)", password: World.password, role: "agent", organisation: org?.id,
                                                          territory: org?.territory, createdBy: nil).rawValue)
        }
        return (world, ids)
    }

    static func deactivations(_ world: StolenAccountWorld, _ targets: [String], secret: String, answers: Bool) async throws -> ErasureCeilingTests.Outcome {
        try await ErasureCeilingTests.attack(world, "admin", targets, secret: secret, answers: answers) { account, _ in
            ("/admin/v1/accounts/\(account)/deactivate", #"{"reason": "left the service"}"#)
        }
    }

    @Test("a stolen administrator's account deactivating staff accounts without answering deactivates its ceiling of changes, then is suspended; the others still sign in")
    func withoutAnswer() async throws {
        let (world, staff) = try await Self.world(staff: Self.admin.changesBurst + 10)
        defer { world.remove() }
        let secret = try await world.enrol("admin")
        let outcome = try await Self.deactivations(world, staff, secret: secret, answers: false)
        #expect(outcome.done.count == Self.admin.changesBurst, "deactivated \(outcome.done.count)")
        #expect(outcome.suspended && outcome.refusedCeiling >= 1)
        let left = try #require(staff.first { !outcome.done.contains($0) })
        let account = try #require(try await world.store.account(id: AccountID(trusted: left)))
        _ = try await world.auth.signIn(username: account.username, password: World.password)
    }

    @Test("a stolen administrator's account resetting staff accounts' second factors one after another stops at its ceiling of changes, then is suspended")
    func factorResets() async throws {
        let (world, staff) = try await Self.world(staff: Self.admin.changesBurst + 10)
        defer { world.remove() }
        for i in 0..<staff.count { _ = try await world.enrol("agent.\(i)") }
        let secret = try await world.enrol("admin")
        let outcome = try await ErasureCeilingTests.attack(world, "admin", staff, secret: secret, answers: false) { account, _ in
            ("/admin/v1/accounts/\(account)/factors/reset", #"{"reason": "lost phone, identity checked at the desk"}"#)
        }
        #expect(outcome.done.count == Self.admin.changesBurst, "reset \(outcome.done.count)")
        #expect(outcome.suspended && outcome.refusedCeiling >= 1)
        for account in staff where !outcome.done.contains(account) {
            #expect(try await !world.store.factors(account: AccountID(trusted: account)).filter(\.confirmed).isEmpty, "the others keep their factors")
        }
    }

    @Test("a stolen administrator's account sending password reset codes to staff one after another (the cover of a caller who asks for them) stops at its ceiling of changes, then is suspended")
    func passwordResets() async throws {
        let (world, staff) = try await Self.world(staff: Self.admin.changesBurst + 10)
        defer { world.remove() }
        let secret = try await world.enrol("admin")
        // No relay in this world: a reset the watch let through answers 503 (no code sent).
        let outcome = try await ErasureCeilingTests.attack(world, "admin", staff, secret: secret, answers: false, passed: [.serviceUnavailable, .conflict]) { account, _ in
            ("/admin/v1/accounts/\(account)/password-reset", "{}")
        }
        #expect(outcome.done.count == Self.admin.changesBurst, "resets past the watch: \(outcome.done.count)")
        #expect(outcome.suspended && outcome.refusedCeiling >= 1)
    }

    @Test("answering every demand, a stolen administrator's account deactivates the ceiling and its grace, then is throttled and suspended")
    func answering() async throws {
        let (world, staff) = try await Self.world(staff: Self.admin.changesBurst + Self.admin.changesGrace + 20)
        defer { world.remove() }
        let secret = try await world.enrol("admin")
        let outcome = try await Self.deactivations(world, staff, secret: secret, answers: true)
        #expect(outcome.done.count == Self.admin.changesBurst + Self.admin.changesGrace, "deactivated \(outcome.done.count)")
        #expect(outcome.throttled >= 1 && outcome.suspended)
    }

    @Test("on the accounts page, past the ceiling an administrator is asked for a code and why, the reason and the ticked box carried; after them the account is deactivated")
    func page() async throws {
        let (world, staff) = try await Self.world(staff: Self.admin.changesBurst + 1)
        defer { world.remove() }
        let secret = try await world.enrol("admin")
        try await Application(router: world.server.adminRouter().0).test(.router) { client in
            var admin = PageClient(client)
            world.clock.advance(30)
            _ = try await admin.signIn("admin", World.password, totp: secret, at: world.clock.now)
            var refused: (String, PageClient.Page)?
            for account in staff {
                world.clock.advance(1)
                let page = try await admin.get("/web/home?lang=en")
                let posted = try await admin.post("/web/admin/accounts/\(account)/deactivate",
                                                  [("csrf", try #require(page.csrf)), ("reason", "left the service"), ("confirm", "yes")])
                if posted.status != .ok { refused = (account, posted); break }
            }
            let (account, page) = try #require(refused, "the ceiling is met")
            #expect(account == staff[Self.admin.changesBurst], "after \(Self.admin.changesBurst) deactivations")
            #expect(page.status == .forbidden && page.html.contains(#"data-key="errCeilingChanges""#) && page.html.contains(#"id="justification""#))
            let carried = try WebStepUpKeepsFormTests.carried(page.html)
            #expect(carried.contains { $0 == ("reason", "left the service") } && carried.contains { $0 == ("confirm", "yes") })
            #expect(try await world.store.departure(of: AccountID(trusted: account)) == nil, "refused: still active")
            world.clock.advance(30)
            let answered = try await admin.post("/web/admin/accounts/\(account)/deactivate", carried + [
                ("code", try TOTPSecret(base32: secret).code(at: world.clock.now)), ("justification", "The partner network's contract ended this week.")])
            #expect(answered.status == .ok, "\(answered.status)")
            #expect(try await world.store.departure(of: AccountID(trusted: account)) != nil, "deactivated after the code and the reason")
        }
    }
}

/// A stolen officer's account must not clear the queue of what it did: an alert about an
/// officer's own account (an erasure it made) is acknowledged by another officer; a deployment
/// with a single active officer lets that one.
@Suite(.serialized)
struct OwnAlertTests {
    static func officer(_ world: StolenAccountWorld, _ username: String) async throws -> GateRequest {
        let secret = try await world.enrol(username)
        let principal = try await world.auth.authenticate(token: try await world.signIn(username, secret: secret))
        return GateRequest(principal: principal, requestID: "t-\(username)", source: nil, purpose: nil)
    }

    @Test("an officer's erasure alerts about their own account: they may not acknowledge it, another officer may; alone, they may")
    func ownAlert() async throws {
        for officers in [["security", "security2"], ["security"]] {
            let world = try await StolenAccountWorld.make(profile: "place05", size: 10, accounts: officers.map { ($0, "security", "operator") })
            defer { world.remove() }
            let first = try await Self.officer(world, officers[0])
            let child = try #require(try await ErasureCeilingTests.children(world).first)
            _ = try await world.gate.eraseOnRequest(person: child, reference: "REQ-2027-1", first.principal, requestID: "t")
            let alert = try #require(try await world.store.alerts(openOnly: true, account: first.principal.account, limit: 10).first { $0.detector == "person-erased" })
            if officers.count == 2 {
                await #expect(throws: GuichetError.forbidden("this alert is about your own account: another security officer acknowledges it")) {
                    _ = try await world.gate.acknowledge(alert: alert.id, note: nil, by: first)
                }
                let other = try await Self.officer(world, officers[1])
                let done = try await world.gate.acknowledge(alert: alert.id, note: "Checked with the request's file.", by: other)
                #expect(done.acknowledgedBy == other.principal.account)
            } else {
                let done = try await world.gate.acknowledge(alert: alert.id, note: nil, by: first)
                #expect(done.acknowledgedBy == first.principal.account, "a lone officer acknowledges their own")
            }
        }
    }

    @Test("on the security home, an alert about the officer's own account says another officer acknowledges it, with no button; the other officer's home has the button")
    func ownAlertPage() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 10, accounts: [("security", "security", "operator"), ("security2", "security", "operator")])
        defer { world.remove() }
        let secrets = [try await world.enrol("security"), try await world.enrol("security2")]
        let first = GateRequest(principal: try await world.auth.authenticate(token: try await world.signIn("security", secret: secrets[0])),
                                requestID: "t", source: nil, purpose: nil)
        let child = try #require(try await ErasureCeilingTests.children(world).first)
        _ = try await world.gate.eraseOnRequest(person: child, reference: "REQ-2027-1", first.principal, requestID: "t")
        let alert = try #require(try await world.store.alerts(openOnly: true, account: first.principal.account, limit: 10).first { $0.detector == "person-erased" })
        let texts = try #require(try WebPages.bundled.get().texts["en"])
        try await Application(router: world.server.adminRouter().0).test(.router) { client in
            for (i, username) in ["security", "security2"].enumerated() {
                var officer = PageClient(client)
                world.clock.advance(30)
                _ = try await officer.signIn(username, World.password, totp: secrets[i], at: world.clock.now)
                let home = try await officer.get("/web/home?lang=en")
                let action = #"action="/web/security/alerts/\#(alert.id)/acknowledge""#
                if i == 0 {
                    let told = PageClientText.escaped(try #require(texts["alertOwn"]))
                    #expect(!home.html.contains(action) && home.html.contains(told), "its subject is told, and offered no button")
                } else {
                    #expect(home.html.contains(action), "the other officer acknowledges it")
                }
            }
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncFilter(_ keep: (Element) async throws -> Bool) async rethrows -> [Element] {
        var out: [Element] = []
        for e in self where try await keep(e) { out.append(e) }
        return out
    }
}
