import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetSynth

/// R4: a partner adviser's account reads its own caseload, with the minimal view, and gets
/// 404 for every other job seeker, whether it reads or searches (THREATS.md R4).
@Suite struct CaseloadHTTPTests {
    @Test("a partner adviser reads its caseload over HTTP and gets 404 for every other job seeker, reads and searches")
    func partnerAdviserCaseload() async throws {
        let world = try await EmploiWorld.make()
        defer { world.remove() }
        let caseload = Set(world.summary.partnerCaseloads[0])
        try #require(caseload.count >= 3, "the generator gives the first network a caseload")
        let all = try await world.allDossiers()
        let token = try await world.token("partner1")
        // Identifiers of a job seeker outside the caseload, as their agency's adviser sees them.
        let agencyFile = try #require(all.first { !caseload.contains($0) && world.summary.agencyCaseload.contains($0) })
        let outsider = try await world.gate.read(agencyFile, try await world.request("adviser1", purpose: "support"))
        let outsiderFields = try #require(outsider.persons.first?.fields)
        try await world.withPublic { client in
            for id in caseload {
                let r = try await client.call(.get, "/v1/dossiers/\(id)", token: token, purpose: "disability-support")
                #expect(r.status == .ok)
                let seeker = try #require(r["persons"]?.array?.first?.object?["fields"]?.object)
                #expect(seeker["nir"] == nil && seeker["address"] == nil, "a partner never sees the NIR or the address")
                #expect(seeker["lastName"] != nil)
                #expect(r["fields"]?.object?["benefitRights"] == nil)
                #expect(r["fields"]?.object?["disability"]?.bool == true)
            }
            var others = 0
            for id in all where !caseload.contains(id) {
                let r = try await client.call(.get, "/v1/dossiers/\(id)", token: token, purpose: "disability-support")
                #expect(r.status == .notFound, "dossier outside the caseload: \(r.status)")
                others += 1
            }
            #expect(others == all.count - caseload.count && others > 500)

            // Listing: page through everything the account can search; only its caseload.
            var listed = Set<String>()
            var after = ""
            repeat {
                let page = try await client.call(.get, "/v1/dossiers?limit=100\(after)", token: token, purpose: "disability-support")
                #expect(page.status == .ok)
                for d in page["dossiers"]?.array ?? [] { listed.insert(d.object?["id"]?.string ?? "") }
                after = page["next"]?.string.map { "&after=\($0)" } ?? ""
            } while !after.isEmpty
            #expect(listed == Set(caseload.map(\.rawValue)))

            // A name alone is not specific enough (400); a name with a birth date, a registry id
            // or an e-mail of someone outside the caseload finds nothing.
            for last in FrenchNames.last.prefix(5) {
                let r = try await client.call(.get, "/v1/dossiers?seeker.lastName=\(last.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                                              token: token, purpose: "disability-support")
                #expect(r.status == .badRequest && r.text.contains("lastName + birthDate"))
            }
            if case .text(let last)? = outsiderFields["lastName"], case .date(let born)? = outsiderFields["birthDate"] {
                let r = try await client.call(.get, "/v1/dossiers?seeker.lastName=\(last.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&seeker.birthDate=\(born.iso)",
                                              token: token, purpose: "disability-support")
                #expect(r.status == .ok && r["dossiers"]?.array?.isEmpty == true)
            } else { Issue.record("the generated seeker has a name and a birth date") }
            if case .text(let registry)? = outsiderFields["registryId"] {
                let r = try await client.call(.get, "/v1/dossiers?seeker.registryId=\(registry)", token: token, purpose: "disability-support")
                #expect(r.status == .ok && r["dossiers"]?.array?.isEmpty == true)
            } else { Issue.record("the generated seeker has a registry id") }
            // The NIR is not in its view, so it cannot even search by it.
            if case .text(let nir)? = outsiderFields["nir"] {
                let r = try await client.call(.get, "/v1/dossiers?seeker.nir=\(nir)", token: token, purpose: "disability-support")
                #expect(r.status == .badRequest)
            } else { Issue.record("the generated seeker has a NIR") }

            // The other network's adviser sees none of this caseload.
            let other = try await world.token("partner2")
            for id in caseload {
                #expect(try await client.call(.get, "/v1/dossiers/\(id)", token: other, purpose: "disability-support").status == .notFound)
            }
        }
    }
}
