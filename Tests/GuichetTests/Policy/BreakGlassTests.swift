import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetBreach
import GuichetStore
import GuichetSynth

/// Break-glass: out-of-scope access only with a justification and a fresh second factor,
/// time-limited, masked, journalled with its record, reviewed by a security officer.
@Suite struct BreakGlassTests {
    static let justification = "The job seeker came to our agency in person after moving; their agency is closed today."

    /// A file of the first agency (adviser2 works in the second one).
    func otherAgencyFile(_ world: EmploiWorld) async throws -> DossierID {
        try #require(world.summary.agencyCaseload.first)
    }

    @Test("an adviser breaks the glass over HTTP: justification, masked read, ledger entries, security review")
    func openReadReview() async throws {
        let world = try await EmploiWorld.make(size: 400)
        defer { world.remove() }
        let id = try await otherAgencyFile(world)
        let adviser = try await world.token("adviser2")
        let security = try await world.token("security")
        try await world.withPublic { client in
            #expect(try await client.call(.get, "/v1/dossiers/\(id)", token: adviser, purpose: "support").status == .notFound)
            let short = try await client.call(.post, "/v1/dossiers/\(id)/break-glass", token: adviser, purpose: "support",
                                              body: #"{"justification": "urgent"}"#)
            #expect(short.status == .badRequest && short.text.contains("40 to 2000 characters"))
            let opened = try await client.call(.post, "/v1/dossiers/\(id)/break-glass", token: adviser, purpose: "support",
                                               body: #"{"justification": "\#(Self.justification)"}"#)
            #expect(opened.status == .created, "\(opened.text)")
            let fields = Set(opened["fields"]?.array?.compactMap(\.string) ?? [])
            #expect(fields.contains("seeker.lastName") && !fields.contains("seeker.nir") && !fields.contains("benefitRights"))
            let read = try await client.call(.get, "/v1/dossiers/\(id)", token: adviser, purpose: "support")
            #expect(read.status == .ok)
            let seeker = try #require(read["persons"]?.array?.first?.object?["fields"]?.object)
            #expect(seeker["lastName"] != nil && seeker["nir"] == nil)
            #expect(read["fields"]?.object?["benefitRights"] == nil)
            #expect(!read.text.contains(Self.justification))
        }
        let rows = try await world.ledger.journal(account: world.accounts["adviser2"])
        let open = try #require(rows.first { $0.action == "break-glass-open" })
        let record = String(open.reason.dropFirst("break-glass:".count))
        #expect(open.dossiers == [id] && open.allowed)
        let reads = rows.filter { $0.action == "break-glass:read" }
        #expect(reads.count == 1 && reads[0].reason == "break-glass:\(record)" && reads[0].dossiers == [id])
        #expect(!reads[0].fields.contains("seeker.nir"))
        #expect(!rows.contains { $0.reason.contains("job seeker came") }, "the justification is never journalled")
        // In a breach scope the grant is no change of integrity; the read it allowed is an exposure.
        let scope = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: try #require(world.accounts["adviser2"])))
        #expect(scope.writes.isEmpty, "\(scope.writes.map(\.action))")
        #expect(scope.events.contains { $0.action == "break-glass-open" } && scope.persons.count == 1)
        // Sealed at rest: the justification is nowhere in the database files.
        for suffix in ["", "-wal"] {
            let bytes = (try? Data(contentsOf: world.folder.appendingPathComponent("guichet.sqlite\(suffix)"))) ?? Data()
            #expect(bytes.range(of: Data("after moving".utf8)) == nil)
        }

        try await world.withAdmin { client in
            let pending = try await client.call(.get, "/admin/v1/break-glass", token: security)
            #expect(pending.status == .ok)
            let item = try #require(pending["openings"]?.array?.first?.object)
            #expect(item["id"]?.string == record && item["justification"]?.string == Self.justification && item["verdict"] == .null)
            let admin = try await world.token("admin")
            #expect(try await client.call(.get, "/admin/v1/break-glass", token: admin).status == .forbidden)
            let bad = try await client.call(.post, "/admin/v1/break-glass/\(record)/review", token: security, body: #"{"verdict": "fine", "note": "ok"}"#)
            #expect(bad.status == .badRequest)
            let closed = try await client.call(.post, "/admin/v1/break-glass/\(record)/review", token: security,
                                               body: #"{"verdict": "justified", "note": "Confirmed with the agency manager."}"#)
            #expect(closed.status == .ok && closed["verdict"]?.string == "justified")
            #expect(try await client.call(.get, "/admin/v1/break-glass", token: security)["openings"]?.array?.isEmpty == true)
            #expect(try await client.call(.post, "/admin/v1/break-glass/\(record)/review", token: security,
                                          body: #"{"verdict": "justified", "note": "again"}"#).status == .notFound)
        }
        #expect(try await world.ledger.journal(account: world.accounts["security"]).contains { $0.action == "break-glass-review" && $0.reason == "break-glass:\(record):justified" })
    }

    @Test("an opening does not answer an access request on the person's behalf (their whole file and history), only the read itself")
    func notThroughPersonExport() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let id = try await otherAgencyFile(world)
        let r = try await world.request("adviser2", purpose: "support")
        _ = try await world.gate.breakGlass(id, justification: Self.justification, r)
        let view = try await world.gate.read(id, r)
        let seeker = try #require(view.persons.first).id
        await #expect(throws: GuichetError.notFound) {
            _ = try await world.gate.exportOnBehalf(of: seeker, reference: "REQ-2026-77", try await world.request("adviser2", purpose: "support"))
        }
        #expect(try await !world.ledger.journal(account: world.accounts["adviser2"]).contains { $0.action == "access-request" },
                "no access request is recorded as answered")
    }

    @Test("the opening expires after the profile's duration (injected clock)")
    func expires() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let id = try await otherAgencyFile(world)
        let r = try await world.request("adviser2", purpose: "support")
        let opening = try await world.gate.breakGlass(id, justification: Self.justification, r)
        #expect(opening.expiresAt.timeIntervalSince(opening.openedAt) == 30 * 60)
        world.clock.advance(29 * 60)
        #expect(revealedPaths(try await world.gate.read(id, r)).contains("seeker.lastName"))
        world.clock.advance(2 * 60)
        await #expect(throws: GuichetError.notFound) { try await world.gate.read(id, r) }
    }

    @Test("breaking the glass needs a second factor within the step-up window")
    func needsFreshSecondFactor() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let id = try await otherAgencyFile(world)
        let r = try await world.request("adviser2", purpose: "support")
        // Six minutes after the second factor was verified (whenever the sign-in happened).
        world.clock.set(try #require(r.principal.secondFactorAt).addingTimeInterval(6 * 60))
        await #expect(throws: GuichetError.self) { try await world.gate.breakGlass(id, justification: Self.justification, r) }
        #expect(try await world.store.pendingBreakGlass(limit: 500).isEmpty)
        await #expect(throws: GuichetError.notFound) { try await world.gate.read(id, r) }
        let refusals = try await world.ledger.journal(account: world.accounts["adviser2"]).filter { !$0.allowed }
        #expect(refusals.contains { $0.reason == "break-glass-step-up" })
    }

    @Test("only the roles the profile names may break the glass; not on a file already in scope")
    func onlyNamedRoles() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let id = try await otherAgencyFile(world)
        let partner = try await world.request("partner1", purpose: "disability-support")
        do { _ = try await world.gate.breakGlass(id, justification: Self.justification, partner); Issue.record("a partner broke the glass") } catch let e as GuichetError {
            guard case .forbidden = e else { Issue.record("expected 403, got \(e)"); return }
        }
        await #expect(throws: GuichetError.notFound) { try await world.gate.read(id, partner) }
        let own = try await world.request("adviser1", purpose: "support")
        do { _ = try await world.gate.breakGlass(id, justification: Self.justification, own); Issue.record("no break-glass needed") } catch let e as GuichetError {
            guard case .conflict = e else { Issue.record("expected 409, got \(e)"); return }
        }
        await #expect(throws: GuichetError.notFound) {
            try await world.gate.breakGlass(DossierID(), justification: Self.justification, try await world.request("adviser2", purpose: "support"))
        }
    }

    @Test("an 'unjustified' verdict ends the access at once and tells the agent")
    func unjustifiedEndsAccess() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let id = try await otherAgencyFile(world)
        let r = try await world.request("adviser2", purpose: "support")
        let opening = try await world.gate.breakGlass(id, justification: Self.justification, r)
        _ = try await world.gate.read(id, r)
        let officer = try await world.principal("security")
        await #expect(throws: GuichetError.self) {
            try await world.gate.reviewBreakGlass(opening.id, verdict: "unjustified", note: "x", try await world.principal("adviser2"), requestID: "t", source: nil)
        }
        let closed = try await world.gate.reviewBreakGlass(opening.id, verdict: "unjustified", note: "No visit was recorded that day.", officer,
                                                           requestID: "t", source: nil)
        #expect(closed.verdict == "unjustified" && closed.note == "No visit was recorded that day.")
        await #expect(throws: GuichetError.notFound) { try await world.gate.read(id, r) }
        #expect(try await world.store.notices(account: world.accounts["adviser2"]!).contains { $0.kind == "break-glass-unjustified" })
    }
}

/// Text-direction controls (U+202A-U+202E, U+2066-U+2069) reorder what follows on screen: a
/// name or a reason that holds one reads reversed on every page that shows it (attacker test).
@Suite struct TextDirectionTests {
    static let reversing = ["\u{202E}", "\u{202D}", "\u{2066}", "\u{2067}", "\u{2069}"]

    @Test("a text field, a reason and a justification refuse text-direction controls; right-to-left text and accents pass")
    func refused() async throws {
        let spec = FieldSpec(name: "lastName", type: .text(maxLength: 80), classification: .identity)
        for c in Self.reversing {
            #expect(throws: GuichetError.self) { _ = try FieldValidation.value(.string("Tremblay\(c)nitram"), for: spec, path: "child.lastName") }
            #expect(ReasonText.withoutPersonalDetail("lost phone\(c), identity checked at the office") == nil)
        }
        for fine in ["Côté-Lefèbvre", "بنعلي", "O'Neil"] {
            #expect(try FieldValidation.value(.string(fine), for: spec, path: "child.lastName") == .text(fine))
        }
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let id = try #require(world.summary.agencyCaseload.first)
        let r = try await world.request("adviser2", purpose: "support")
        let before = try await world.store.ledgerSize()
        #expect(await Self.invalid { _ = try await world.gate.breakGlass(id, justification: BreakGlassTests.justification + "\u{202E}", r) })
        #expect(try await world.store.ledgerSize() == before, "nothing opened, nothing journalled")
        let opening = try await world.gate.breakGlass(id, justification: BreakGlassTests.justification, r)
        let officer = try await world.request("security")
        #expect(await Self.invalid {
            _ = try await world.gate.reviewBreakGlass(opening.id, verdict: "justified", note: "Checked\u{2067} with the manager.", officer.principal,
                                                      requestID: "r-1", source: nil)
        })
        _ = try await world.gate.reviewBreakGlass(opening.id, verdict: "justified", note: "Checked with the manager.", officer.principal,
                                                  requestID: "r-2", source: nil)
    }

    @Test("invisible and format characters are refused in text, a value must show something, and a justification's minimum counts what shows (an API audit: 45 Hangul fillers opened a file)")
    func invisibleRefused() async throws {
        let spec = FieldSpec(name: "firstName", type: .text(maxLength: 80), classification: .identity)
        for bad in ["In\u{200B}es", "\u{FEFF}Ines", "In\u{00AD}es", "Ines\u{2028}Marc", "Ines\u{200E}", "\u{3164}\u{3164}", "\u{0301}",
                    "\u{200D}", "Ines\u{E0041}", "\u{2800}\u{2800}"] {
            #expect(throws: GuichetError.self, "\(bad.unicodeScalars.map { String($0.value, radix: 16) })") {
                _ = try FieldValidation.value(.string(bad), for: spec, path: "child.firstName")
            }
        }
        // Accents, joiners of scripts and emoji, and a text that begins with a combining mark
        // (stored and read back: ``VaultTests``) are kept.
        for fine in ["Inès", "\u{0301}Ines", "می\u{200C}خواهم", "👩\u{200D}👧", "O'Neil"] {
            #expect(try FieldValidation.value(.string(fine), for: spec, path: "child.firstName") == .text(fine))
        }
        #expect(DisplayText.visibleCount(String(repeating: "\u{3164}", count: 45)) == 0)
        #expect(DisplayText.visibleCount("a\u{0301}b c") == 3)
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let id = try #require(world.summary.agencyCaseload.first)
        let r = try await world.request("adviser2", purpose: "support")
        let before = try await world.store.ledgerSize()
        for filler in ["\u{3164}", "\u{200D}", "\u{0301}"] {
            #expect(await Self.invalid { _ = try await world.gate.breakGlass(id, justification: "Why" + String(repeating: filler, count: 60), r) }, "\(filler.unicodeScalars.first!.value)")
        }
        #expect(try await world.store.ledgerSize() == before, "nothing opened, nothing journalled")
    }

    /// Whether the work fails with a 400 (not a refusal for another reason).
    static func invalid(_ work: () async throws -> Void) async -> Bool {
        do { try await work() } catch GuichetError.invalid { return true } catch { return false }
        return false
    }
}

/// Break-glass and the watch: an account the watch has slowed down (a stolen one probing files
/// outside its scope, most often) opens nothing outside its scope until the throttle ends.
@Suite struct BreakGlassThrottleTests {
    @Test("a throttled adviser is refused a break-glass opening (429, journalled, nothing opened); after the throttle it may open")
    func throttledOpensNothing() async throws {
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 300, accounts: [("adviser", "adviser", "agency")])
        defer { world.remove() }
        let secret = try await world.enrol("adviser")
        let token = try await world.signIn("adviser", secret: secret)
        let account = try #require(try await world.store.account(username: "adviser")).id
        let ids = try await world.store.search(DossierQuery(type: "job-seeker", status: nil, scope: [.any], terms: [], after: nil, limit: 1_000))
        let headers = ["Guichet-Purpose": "support"]
        let body = #"{"justification": "\#(BreakGlassTests.justification)"}"#
        try await world.withPublic { client in
            // Files outside the adviser's scope, read one after another: each a 404, until the
            // watch throttles the account.
            var outside: [DossierID] = []
            var throttled = false
            for id in ids where !throttled {
                let reply = try await client.send(.get, "/v1/dossiers/\(id)", token: token, headers: headers)
                if reply.status == .tooManyRequests { throttled = true } else if reply.status == .notFound { outside.append(id) }
            }
            try #require(throttled, "a burst of refused reads throttles the account")
            let target = try #require(outside.first)
            let refused = try await client.send(.post, "/v1/dossiers/\(target)/break-glass", token: token, headers: headers, body: body)
            #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] != nil, "\(refused.status) \(refused.text)")
            #expect(try await world.store.pendingBreakGlass(limit: 500).isEmpty, "nothing was opened")
            #expect(try await client.send(.get, "/v1/dossiers/\(target)", token: token, headers: headers).status != .ok)
            let rows = try await world.ledger.journal(account: account)
            #expect(!rows.contains { $0.action == "break-glass-open" })
            #expect(rows.contains { !$0.allowed && $0.reason == "watch:throttled" && $0.dossiers == [target] })

            // The throttle waited out and the factor verified again, the same opening is made.
            world.clock.advance(TimeInterval(world.profile.watch.throttleFor + 60))
            try await world.stepUp([token], secret: secret)
            let opened = try await client.send(.post, "/v1/dossiers/\(target)/break-glass", token: token, headers: headers, body: body)
            #expect(opened.status == .created, "\(opened.status) \(opened.text)")
            #expect(try await world.store.pendingBreakGlass(limit: 500).map(\.dossier) == [target])
        }
    }
}
