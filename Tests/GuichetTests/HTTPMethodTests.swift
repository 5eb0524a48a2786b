import Foundation
import HTTPTypes
import Testing
import GuichetCore
@testable import GuichetServer

/// What a client gets for a method a path does not answer, and for what the OpenAPI
/// documents declare (schemathesis' `unsupported_method` and `negative_data_rejection` found
/// 404 for TRACE on every route, and 200 for values the documents said were wrong).
@Suite struct HTTPMethodTests {
    @Test("a method a route does not answer is 405 with Allow, OPTIONS is 204 with Allow, HEAD answers as GET without a body; a path no route has stays 404")
    func methodsOfAPath() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            for method: HTTPRequest.Method in [.trace, .put, .delete, .patch, HTTPRequest.Method("QUERY")!] {
                let r = try await client.call(method, "/v1/statistics")
                #expect(r.status == .methodNotAllowed, "\(method) /v1/statistics answered \(r.status)")
                #expect(r.headers[.allow] == "GET, HEAD", "\(r.headers[.allow] ?? "no Allow")")
                #expect(r["detail"]?.string?.contains("GET, HEAD") == true)
            }
            // A route with a parameter, and one with two methods.
            let dossier = try await client.call(.trace, "/v1/dossiers/\(DossierID().rawValue)")
            #expect(dossier.status == .methodNotAllowed && dossier.headers[.allow] == "GET, HEAD, PATCH")
            let session = try await client.call(.get, "/v1/session")
            #expect(session.status == .methodNotAllowed && session.headers[.allow] == "DELETE, POST")
            let options = try await client.call(.options, "/v1/dossiers")
            #expect(options.status == .noContent && options.headers[.allow] == "GET, HEAD, POST")

            let get = try await client.call(.get, "/openapi.json"), head = try await client.call(.head, "/openapi.json")
            #expect(get.status == .ok && head.status == .ok)
            #expect(head.text.isEmpty && head.headers[.contentType] == get.headers[.contentType])

            // Not a route under any method: 404, and a page's path a 405 too.
            #expect(try await client.call(.trace, "/v1/nothing-here").status == .notFound)
            #expect(try await client.call(.get, "/v1/statistics/more").status == .notFound)
            let page = try await client.call(.put, "/web/sign-in")
            #expect(page.status == .methodNotAllowed && page.headers[.allow] == "GET, HEAD, POST")
            // A page address only a form posts to, opened by GET (a bookmark, a new tab): the
            // error page in the page's language, not the API's JSON in English (users' audit).
            let form = try await client.call(.get, "/web/dossiers/\(DossierID().rawValue)/break-glass")
            #expect(form.status == .methodNotAllowed && form.headers[.allow] == "POST" && form.headers[.contentType]?.hasPrefix("text/html") == true,
                    "\(form.status) \(form.headers[.contentType] ?? "")")
            #expect(form.text.contains("celle d&#39;un formulaire déjà envoyé") || form.text.contains("celle d'un formulaire déjà envoyé"), "\(form.text.prefix(400))")
        }
        try await world.withAdmin { client in
            let r = try await client.call(.trace, "/admin/v1/watch/alerts")
            #expect(r.status == .methodNotAllowed && r.headers[.allow] == "GET, HEAD")
        }
    }

    @Test("a Guichet-Purpose header that names no purpose of the profile is 400 on any route, also one that does not use it")
    func purposeEverywhere() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let token = try await world.token("agent")
        try await world.withPublic { client in
            for (path, purpose) in [("/v1/me", "{}"), ("/v1/exports", "spying"), ("/v1/me", "")] {
                let r = try await client.call(.get, path, token: token, purpose: purpose)
                #expect(r.status == .badRequest && r["detail"]?.string?.hasPrefix("unknown purpose") == true, "\(path) answered \(r.status)")
            }
            #expect(try await client.call(.get, "/v1/me", token: token, purpose: "list-management").status == .ok)
            #expect(try await client.call(.get, "/v1/me", token: token).status == .ok)
        }
    }

    @Test("the documents list the profile's purposes, dossier types and states, and an identifier's exact form")
    func documentsSayTheProfilesWords() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let purposes = world.gate.profile.purposes.sorted()
        try await world.withPublic { client in
            let document = try #require(try await client.call(.get, "/openapi.json").json)
            let search = try #require(document.object?["paths"]?.object?["/v1/dossiers"]?.object?["get"]?.object?["parameters"]?.array)
            func schema(_ name: String) -> [String: JSON]? { search.first { $0.object?["name"]?.string == name }?.object?["schema"]?.object }
            #expect(schema("Guichet-Purpose")?["enum"]?.array?.compactMap(\.string) == purposes)
            #expect(schema("type")?["enum"]?.array?.compactMap(\.string) == ["application"])
            #expect(schema("status")?["enum"]?.array?.compactMap(\.string).contains("waiting") == true)
            #expect(schema("limit")?["maximum"]?.integer == 100 && schema("limit")?["type"]?.string == "integer")
            let text = try #require(schema("after")?["pattern"]?.string)
            #expect(text == "^[A-Za-z0-9_-]{21}[AQgw]$")

            // The pattern accepts every identifier and nothing the server refuses.
            let pattern = try Regex(text)
            for _ in 0..<200 { #expect(DossierID().rawValue.wholeMatch(of: pattern) != nil) }
            for candidate in ["0000000000000000000000", "AAAAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAQ"] {
                let matches = candidate.wholeMatch(of: pattern) != nil
                #expect(matches == (DossierID(validating: candidate) != nil), "\(candidate)")
            }
        }
    }

    @Test("a citizen's access history refuses a language other than fr or en, as the document says")
    func historyLanguage() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent.lang")
        let token = try await world.token("parent.lang")
        try await world.withPublic { client in
            let wrong = try await client.call(.get, "/v1/me/access-history?language=xx", token: token)
            let right = try await client.call(.get, "/v1/me/access-history?language=fr", token: token)
            #expect(wrong.status == .badRequest && wrong["detail"]?.string == "'language' must be fr or en")
            #expect(right.status == .ok, "\(right.text.prefix(300))")
        }
    }
}
