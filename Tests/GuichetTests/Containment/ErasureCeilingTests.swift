import Foundation
import Synchronization
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
/// throttled and suspended; a refused erasure erases nothing.
@Suite(.serialized)
struct ErasureCeilingTests {
    static let security = Ceiling.defaults(for: .security)

    /// The children of the world's applications (each linked to its application alone).
    static func children(_ world: StolenAccountWorld) async throws -> [PersonID] {
        let ids = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 60))
        return try await world.store.dossiers(ids).flatMap { $0.persons.filter { $0.role == "child" }.map(\.person) }
    }

    struct Outcome {
        var erased: [PersonID] = []
        var refusedCeiling = 0
        var throttled = 0
        var suspended = false
    }

    /// The attacker: erases `targets` one by one over the admin API with the officer's stolen
    /// password and app; when `answers`, meets every demand (a fresh code, a reason) and waits
    /// out every throttle; stops when suspended.
    static func attack(_ world: StolenAccountWorld, _ targets: [PersonID], secret: String, answers: Bool) async throws -> Outcome {
        let result = Mutex(Outcome())
        let token = try await world.signIn("security", secret: secret)
        try await Application(router: world.server.adminRouter().0).test(.router) { client in
            var outcome = Outcome()
            defer { result.withLock { [outcome] in $0 = outcome } }
            var queue = targets[...]
            var headers: [String: String] = [:]
            var tries = 0
            while let person = queue.first, !outcome.suspended, tries < 200 {
                tries += 1
                world.clock.advance(1)  // a fast attacker: a request a second
                let r = try await client.send(.post, "/admin/v1/erasures", token: token, headers: headers,
                                              body: #"{"person": "\#(person.rawValue)", "reference": "REQ-2027-\#(tries)"}"#)
                switch r.status {
                case .created:
                    outcome.erased.append(person)
                    queue = queue.dropFirst()
                case .forbidden where r.text.contains("last 5 minutes"):
                    try await world.stepUp([token], secret: secret)  // the route's own step-up
                case .forbidden where r.text.contains("you have changed"):
                    outcome.refusedCeiling += 1
                    if answers {
                        try await world.stepUp([token], secret: secret)
                        headers["Guichet-Justification"] = "Erasure requests received by post this week."
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

extension Sequence where Element: Sendable {
    func asyncFilter(_ keep: (Element) async throws -> Bool) async rethrows -> [Element] {
        var out: [Element] = []
        for e in self where try await keep(e) { out.append(e) }
        return out
    }
}
