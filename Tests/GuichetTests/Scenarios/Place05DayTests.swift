import Foundation
import Testing
import GuichetCore
import GuichetPostgres

/// Issue 16, "Done when", R1 place05: from `guichet init`, an operator provisions the
/// co-operative, three daycares with their capacities and the staff, imports about 10,000
/// persons (4,000 applications), then a day of the childcare single window over HTTP only.
@Suite struct Place05DayTests {
    @Test("a day of place05 from an empty start: a parent claims an imported file, a new parent applies, ranks follow the declared rule, offers stay within capacity and are mailed, the ledger verifies")
    func placeDay() async throws {
        try await day(postgres: nil, servers: 1)
    }

    /// Issue 19, "Done when": the same day on PostgreSQL, from `guichet init --store`, served
    /// by two `guichet serve` processes (each with its own copy of the data folder) behind one
    /// round-robin address: each request goes to the other server than the one before, so a
    /// session opened on one is used on the other, a TOTP step spent on one is spent on both,
    /// and the ledger both append to verifies whole.
    @Test("the same day on PostgreSQL, served by two guichet serve processes behind one round-robin address", .enabled(if: TestPostgres.server != nil))
    func placeDayOnPostgres() async throws {
        try await Scenario.onFreshPostgres { try await day(postgres: $0, servers: 2) }
    }

    func day(postgres: String?, servers: Int) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let s = try await Scenario.initialise("place05", postgres: postgres)
        defer { s.remove() }
        let coop = try await s.addOrganisation(kind: "operator", name: "Coopérative Place 0-5")
        // The export's lines choose among these daycares, so imported applications are on their lists.
        let cpe1 = try await s.addOrganisation(kind: "daycare", name: "CPE Exemple 1", capacity: 2)
        let cpe2 = try await s.addOrganisation(kind: "daycare", name: "CPE Exemple 2", capacity: 40)
        _ = try await s.addOrganisation(kind: "daycare", name: "CPE Exemple 3", capacity: 25)
        let agentAccount = try await s.createStaff("agent.one", role: "agent", organisation: coop)
        let cpe1Account = try await s.createStaff("cpe1.educ", role: "daycare", organisation: cpe1)
        let cpe2Account = try await s.createStaff("cpe2.educ", role: "daycare", organisation: cpe2)
        // An account whose password and second factor will be stolen (step 9).
        let stolenAccount = try await s.createStaff("agent.two", role: "agent", organisation: coop)
        let provisioned = clock.now
        let imported = try await s.importSample(naming: ["daycare": ["CPE Exemple 1", "CPE Exemple 2", "CPE Exemple 3"]])
        #expect(imported.persons >= 9_000)
        let importTime = clock.now - provisioned, dayStarted = clock.now
        let sink = try SMTPSink()
        defer { sink.stop() }
        try s.mail(to: sink)
        try s.trustLoopbackProxy()
        try await s.serve(servers: servers)
        var secrets = [agentAccount.password, cpe1Account.password, World.password]

        // The administrator made by init works on the admin listener (as a provisioner would over the API).
        let adminToken = try await s.signIn(s.admin)
        #expect(try await s.call("GET", "/admin/v1/territories", token: adminToken, admin: true).status == 200)
        secrets += [s.admin.password, adminToken]
        let agent = try await s.signIn(agentAccount)
        let daycare1 = try await s.signIn(cpe1Account)
        let daycare2 = try await s.signIn(cpe2Account)
        secrets += [agent, daycare1, daycare2]

        // 1. A parent whose file was imported claims it: the agent finds it by name and birth
        // date, issues a claim code; the parent makes an account with it and sees its rank.
        var line: [String: String]?
        for i in 0..<400 where line == nil {
            let l = try s.sampleLine(i)
            if l["STATUT"] == "waiting" && [l["SERVICE_1"], l["SERVICE_2"], l["SERVICE_3"]].contains("CPE Exemple 1") { line = l }
        }
        let family = try #require(line, "a waiting imported application that chose CPE Exemple 1")
        let found = try await s.call("GET", "/v1/dossiers?parent.lastName=\(family["PARENT1_NOM"]!.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&parent.birthDate=\(family["PARENT1_NAISSANCE"]!)",
                                     as: agentAccount, token: agent, purpose: "family-request")
        #expect(found.status == 200, "\(found)")
        var claimedDossier: String?, claimedPerson: String?
        for candidate in found["dossiers"]?.array ?? [] {
            guard let id = candidate.object?["id"]?.string else { continue }
            let full = try await s.call("GET", "/v1/dossiers/\(id)", as: agentAccount, token: agent, purpose: "family-request")
            let parent = full["persons"]?.array?.first {
                $0.object?["role"]?.string == "parent" && $0.object?["fields"]?.object?["email"]?.string == family["PARENT1_COURRIEL"]
            }
            if let person = parent?.object?["id"]?.string { claimedDossier = id; claimedPerson = person; break }
        }
        let appA = try #require(claimedDossier, "the agent finds the imported application: \(found)")
        let code = try await s.call("POST", "/v1/persons/\(try #require(claimedPerson))/claim-code", as: agentAccount, token: agent, purpose: "family-request")
        // The parent has an address on file and the server a relay: the code goes there, not to the agent.
        #expect(code.status == 201 && code["delivery"]?.string == "email" && code["code"] == nil, "\(code)")
        let codeMail = try #require(try sink.messages().last { $0.rcptTos == [family["PARENT1_COURRIEL"]!] }, "the claim code's message")
        let claimCode = try #require(codeMail.text?.components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.count == 29 && $0.split(separator: "-").count == 5 })
        let home = ["X-Forwarded-For": "198.51.100.61"]  // the parent's own connection, not the office's
        let claimed = try await s.call("POST", "/v1/accounts/claim", body: ["username": "parent.claimed", "password": World.password, "code": claimCode],
                                       headers: home)
        #expect(claimed.status == 201 && claimed["person"]?.string == claimedPerson, "\(claimed)")
        #expect(try await s.call("POST", "/v1/accounts/claim", body: ["username": "parent.again", "password": World.password, "code": claimCode],
                                 headers: home).status != 201,
                "a claim code works once")
        let parentA = try await s.signIn(citizen: "parent.claimed", password: World.password)
        secrets += [claimCode, parentA, family["PARENT1_COURRIEL"]!]
        let mine = try await s.call("GET", "/v1/dossiers", token: parentA)
        #expect(mine["dossiers"]?.array?.compactMap { $0.object?["id"]?.string } == [appA], "the claimed file, no duplicate: \(mine)")
        let rankA = try await rank(s, appA, at: cpe1, token: parentA)
        let rule = try await s.call("GET", "/v1/dossiers/\(appA)/rank", token: parentA)["rule"]
        #expect(rule?.object?["fr"]?.string?.contains("date de demande") == true && rule?.object?["en"]?.string?.contains("application date") == true)

        // 2. A new parent registers and applies to two daycares, declaring a sibling who
        // attends; the declaration alone does not move the rank (a citizen's audit), an agent
        // checks it and sets the ranked field.
        let registered = try await s.call("POST", "/v1/accounts", body: [
            "username": "parent.new", "password": World.password,
            "person": ["firstName": "Chloé", "lastName": "Exemple", "birthDate": "1991-03-14", "email": "chloe.exemple@example.org"]])
        #expect(registered.status == 201, "\(registered)")
        let parentB = try await s.signIn(citizen: "parent.new", password: World.password)
        secrets += [parentB, "chloe.exemple@example.org"]
        let applied = try await s.call("POST", "/v1/dossiers", token: parentB, body: [
            "type": "application", "fields": ["desiredStart": "2027-09-01", "daysPerWeek": 5, "siblingDeclared": true],
            "persons": [["role": "parent", "self": true], ["role": "child", "fields": ["firstName": "Zoé", "lastName": "Exemple", "birthDate": "2025-11-02"]]],
            "partners": [cpe1.rawValue, cpe2.rawValue]])
        let appB = try #require(applied["id"]?.string, "\(applied)")
        let declaredRank = try await rank(s, appB, at: cpe1, token: parentB)
        let ticked = try await s.call("PATCH", "/v1/dossiers/\(appB)", token: parentB,
                                      body: ["version": try #require(applied["version"]?.integer), "fields": ["siblingAttends": true]])
        #expect(ticked.status == 403 || ticked.status == 400, "a parent may not set the ranked field: \(ticked)")
        #expect(try await rank(s, appB, at: cpe1, token: parentB) == declaredRank, "declared, not yet checked: the rank is unchanged")
        let confirmed = try await s.call("PATCH", "/v1/dossiers/\(appB)", as: agentAccount, token: agent, purpose: "family-request",
                                       body: ["version": try #require(applied["version"]?.integer), "fields": ["siblingAttends": true]])
        #expect(confirmed.status == 200, "the agent sets the checked sibling: \(confirmed)")
        #expect(try await rank(s, appB, at: cpe1, token: parentB) < declaredRank, "checked: the application moves up")

        // 3. The daycare's list is in the declared order: siblings first, then oldest first;
        // each parent's rank is their place on it; another daycare cannot read it.
        let list = try await s.call("GET", "/v1/organisations/\(cpe1.rawValue)/waiting-list?limit=100", as: cpe1Account, token: daycare1)
        let listStarted = clock.now  // timed again, without the step-up the first request may need
        #expect(try await s.call("GET", "/v1/organisations/\(cpe1.rawValue)/waiting-list?limit=100", token: daycare1).text == list.text)
        let listTime = clock.now - listStarted
        let entries = try #require(list["entries"]?.array, "\(list)")
        let total = try #require(list["total"]?.integer)
        #expect(total > 100 && entries.count == 100 && list["next"]?.integer == 101)
        #expect(entries.compactMap { $0.object?["rank"]?.integer } == Array(1...100))
        let keys = entries.compactMap { e -> (Bool, String)? in
            guard let d = e.object?["dossier"]?.object, let created = d["createdAt"]?.string else { return nil }
            #expect(d["persons"]?.array?.isEmpty != false && d["fields"]?.object?["specialNeeds"] == nil, "summaries only")
            return (d["fields"]?.object?["siblingAttends"] == .bool(true), created)
        }
        #expect(keys.count == 100)
        for (a, b) in zip(keys, keys.dropFirst()) { #expect(a.0 && !b.0 || a.0 == b.0 && a.1 <= b.1, "rank order: \(a) before \(b)") }
        let rankB = try await rank(s, appB, at: cpe1, token: parentB)
        #expect(rankB == keys.filter(\.0).count + 1 || keys.allSatisfy(\.0), "a sibling application comes after the older sibling ones, before all others")
        for (id, r) in [(appA, try await rank(s, appA, at: cpe1, token: parentA)), (appB, rankB)] {
            let at = try await s.call("GET", "/v1/organisations/\(cpe1.rawValue)/waiting-list?from=\(r)&limit=1", as: cpe1Account, token: daycare1)
            #expect(at["entries"]?.array?.first?.object?["dossier"]?.object?["id"]?.string == id, "rank \(r) is the list's entry \(r)")
        }
        let seenByDaycare = try await s.call("GET", "/v1/dossiers/\(appB)/rank", as: cpe1Account, token: daycare1)
        #expect(seenByDaycare["ranks"]?.array?.compactMap { $0.object?["organisation"]?.string } == [cpe1.rawValue],
                "a daycare learns its own list's rank, not the family's other choices: \(seenByDaycare)")
        #expect(try await s.call("GET", "/v1/organisations/\(cpe1.rawValue)/waiting-list", as: cpe2Account, token: daycare2).status == 404)
        #expect(try await s.call("GET", "/v1/organisations/\(cpe1.rawValue)/waiting-list", token: parentA).status == 404)

        // 4. Offers within capacity (2 places at CPE Exemple 1); the third is refused, unchanged.
        let top = try #require(entries.compactMap { $0.object?["dossier"]?.object?["id"]?.string }.first { $0 != appA && $0 != appB })
        #expect(try await s.call("POST", "/v1/dossiers/\(appB)/transitions/offer", as: cpe1Account, token: daycare1).status == 200)
        #expect(try await s.call("POST", "/v1/dossiers/\(appA)/transitions/offer", as: cpe1Account, token: daycare1).status == 200)
        let over = try await s.call("POST", "/v1/dossiers/\(top)/transitions/offer", as: cpe1Account, token: daycare1)
        #expect(over.status == 409 && over["detail"]?.string?.contains("no place left") == true, "\(over)")
        #expect(try await s.call("GET", "/v1/dossiers/\(top)", as: cpe1Account, token: daycare1)["status"]?.string == "waiting", "a refused offer changes nothing")
        #expect(try await s.call("GET", "/v1/dossiers/\(appA)/rank", token: parentA)["ranks"]?.array?.isEmpty == true, "an offered application has no rank")

        // 5. The parents are told by e-mail, in the profile's language then in English, without personal values.
        let mails = try await received(sink, at: ["chloe.exemple@example.org", family["PARENT1_COURRIEL"]!])
        for m in mails {
            #expect(m.subject == "Place 0-5 : une place vous est offerte / Place 0-5: a place is offered to you" && m.language == "fr" && m.defects.isEmpty, "\(m.subject)")
            #expect(m.text?.contains("accepter ou la refuser") == true && m.text?.contains("-- English --") == true && m.text?.contains("accept or decline it") == true)
            for value in ["Zoé", "Chloé", family["ENFANT_PRENOM"]!, family["PARENT1_NOM"]!] { #expect(!(m.text ?? "").contains(value) && !m.subject.contains(value)) }
        }

        // 6. The new parent accepts; the other declines and is back at its rank; the place it
        // freed can be offered again.
        let accepted = try await s.call("POST", "/v1/dossiers/\(appB)/transitions/accept", token: parentB)
        #expect(accepted["status"]?.string == "placed", "\(accepted)")
        let declined = try await s.call("POST", "/v1/dossiers/\(appA)/transitions/decline", token: parentA)
        #expect(declined["status"]?.string == "waiting", "\(declined)")
        #expect(try await rank(s, appA, at: cpe1, token: parentA) == rankA, "back at its rank (the new one, placed, left the list)")
        #expect(try await s.call("POST", "/v1/dossiers/\(top)/transitions/offer", as: cpe1Account, token: daycare1).status == 200)
        #expect(try await s.call("POST", "/v1/dossiers/\(appA)/transitions/offer", as: cpe1Account, token: daycare1).status == 409, "full again")

        // 7. The agent manages the list: updates one application, withdraws another, which the
        // daycare can then no longer read nor list.
        let version = try #require(declined["version"]?.integer)
        let updated = try await s.call("PATCH", "/v1/dossiers/\(appA)", as: agentAccount, token: agent, purpose: "list-management",
                                       body: ["version": version, "fields": ["daysPerWeek": 3]])
        #expect(updated.status == 200, "\(updated)")
        let gone = try #require(entries.compactMap { $0.object?["dossier"]?.object?["id"]?.string }.first { ![appA, appB, top].contains($0) })
        #expect(try await s.call("GET", "/v1/dossiers/\(gone)", as: cpe1Account, token: daycare1).status == 200)
        #expect(try await s.call("POST", "/v1/dossiers/\(gone)/withdraw", as: agentAccount, token: agent, purpose: "list-management")["status"]?.string == "withdrawn")
        #expect(try await s.call("GET", "/v1/dossiers/\(gone)", as: cpe1Account, token: daycare1).status == 404)
        let after = try await s.call("GET", "/v1/organisations/\(cpe1.rawValue)/waiting-list?limit=100", as: cpe1Account, token: daycare1)
        #expect(after["total"]?.integer == total - 3, "the placed, the offered and the withdrawn applications left the list; the declined one came back")
        #expect(!(after["entries"]?.array ?? []).contains { $0.object?["dossier"]?.object?["id"]?.string == gone })

        // 8. A daycare stays inside the applications that chose it: one of CPE Exemple 1's
        // that did not choose CPE Exemple 2 (the agent reads its partners) is not found by it.
        var elsewhere: String?
        for id in entries.compactMap({ $0.object?["dossier"]?.object?["id"]?.string }).filter({ ![appA, appB, top, gone].contains($0) }).prefix(20) {
            let partners = try await s.call("GET", "/v1/dossiers/\(id)", as: agentAccount, token: agent, purpose: "list-management")["partners"]?.array ?? []
            if !partners.contains(.string(cpe2.rawValue)) { elsewhere = id; break }
        }
        #expect(try await s.call("GET", "/v1/dossiers/\(try #require(elsewhere))", as: cpe2Account, token: daycare2).status == 404)

        // 9. The second agent's account is stolen, password and second factor, and scrapes the
        // registry at full speed, each request to the other server when there are two: it gets
        // what it would get from one server (the ceiling's first window and its grace, at most
        // 50 persons), and once stopped every server refuses it.
        let stolen = try await s.signIn(stolenAccount)
        secrets += [stolenAccount.password, stolen]
        let scraped = try await s.scrape(stolenAccount, token: stolen, type: "application", purpose: "list-management")
        print("Place05DayTests (\(servers) server\(servers == 1 ? "" : "s")): a stolen agent account received \(scraped.received.count) persons "
              + "in \(scraped.requests) requests, \(scraped.stepUps) step-ups, stopped by \(scraped.stoppedBy.map(String.init) ?? "nothing")")
        #expect(scraped.received.count <= 50, "persons exposed: \(scraped.received.count)")
        #expect(scraped.received.count >= 20, "the ceiling lets normal work through first (\(scraped.received.count) persons)")
        #expect(scraped.stoppedBy != nil, "the scraper is throttled or suspended")
        #expect(!scraped.afterwards.isEmpty && scraped.afterwards.allSatisfy { [401, 403, 429].contains($0) },
                "every server refuses it once stopped: \(scraped.afterwards)")

        // 10. Someone fires twelve guesses of a daycare educator's password at once, spread over
        // the servers when there are two. The name's failures are counted once (in the database
        // on PostgreSQL, each attempt taking its place before its password is hashed), so no more
        // guesses reach the password check than on one server: the five free failures
        // (AUTHENTICATION.md); counted per server, ten would have been checked.
        let guesses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<12 {
                group.addTask { try await s.call("POST", "/v1/session", body: ["username": cpe1Account.username, "password": "wrong guess number \(i)"]).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        let checked = guesses.filter { $0 == 401 }.count
        #expect(guesses.allSatisfy { [401, 429].contains($0) } && checked <= 5 && checked >= 1,
                "guesses that reached the password check: \(checked) of \(guesses.count) (\(guesses.sorted()))")

        // Monitoring reads the same database whichever server answers.
        let metrics = try await s.call("GET", "/metrics", admin: true)
        #expect(metrics.status == 200 && metrics.text.contains("guichet_ledger_entries ") && !metrics.text.contains("guichet_ledger_entries 0\n"),
                "\(metrics.text.prefix(300))")
        try await s.finish()
        let log = s.serverLog
        for n in 0..<servers {
            let own = (try? String(contentsOf: s.folder.appendingPathComponent(Scenario.logName(n)), encoding: .utf8)) ?? ""
            #expect(own.components(separatedBy: "\n").filter { $0.contains("request") && $0.contains("status") }.count >= 20,
                    "server \(n + 1) of \(servers) answered its share of the day's requests")
        }
        #expect(!secrets.contains { $0.count >= 6 && log.contains($0) }, "a secret or personal value reached the server's log")
        print("Place05DayTests (\(postgres == nil ? "SQLite" : "PostgreSQL, \(servers) servers")): init and provisioning \((provisioned - started).formatted(.units(allowed: [.seconds]))), "
              + "the import of \(imported.dossiers) applications (\(imported.persons) persons) "
              + "\(importTime.formatted(.units(allowed: [.seconds]))) (guichet import alone: \((s.importDuration ?? .zero).formatted(.units(allowed: [.seconds])))), "
              + "the day over HTTP \((clock.now - dayStarted).formatted(.units(allowed: [.seconds]))), in all \((clock.now - started).formatted(.units(allowed: [.seconds]))); "
              + "the first page of a list of \(total) ranked applications answered in \(listTime.formatted(.units(allowed: [.milliseconds])))")
    }

    /// A dossier's rank on one daycare's list, as its parent sees it.
    func rank(_ s: Scenario, _ dossier: String, at daycare: OrganisationID, token: String) async throws -> Int {
        let r = try await s.call("GET", "/v1/dossiers/\(dossier)/rank", token: token)
        let entry = r["ranks"]?.array?.first { $0.object?["organisation"]?.string == daycare.rawValue }
        return try #require(entry?.object?["rank"]?.integer, "\(r)")
    }

    /// The messages the sink received for these addresses, waiting up to 20 s (they are sent
    /// after the answer).
    func received(_ sink: SMTPSink, at addresses: [String]) async throws -> [SMTPSink.Received] {
        let deadline = Date().addingTimeInterval(20)
        while true {
            // The claim code of step 1 went to a parent's address too: not one of these.
            let messages = try sink.messages().filter { !$0.subject.contains("your claim code") }
            let wanted = Set(addresses.map { $0.lowercased() })
            let got = messages.filter { $0.rcptTos.contains { wanted.contains($0.lowercased()) } }
            if Set(got.flatMap { $0.rcptTos.map { $0.lowercased() } }).isSuperset(of: wanted) || Date() > deadline {
                #expect(Set(got.flatMap { $0.rcptTos.map { $0.lowercased() } }).isSuperset(of: wanted), "mail to each parent: \(messages.map(\.rcptTos))")
                return got
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
