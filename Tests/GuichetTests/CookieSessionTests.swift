import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import GuichetCore

/// Browser sessions (issue 6, item 5): Secure, HttpOnly, SameSite=Strict cookies, and CSRF
/// protection for every request that changes something.
@Suite(.serialized)
struct CookieSessionTests {
    struct Sent { let status: HTTPResponse.Status; let headers: HTTPFields; let text: String }

    static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, headers: [String: String] = [:],
                     body: String? = nil) async throws -> Sent {
        var fields: HTTPFields = [:]
        for (k, v) in headers { fields[HTTPField.Name(k)!] = v }
        if body != nil { fields[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) }) { r in
            Sent(status: r.status, headers: r.headers, text: String(buffer: r.body))
        }
    }

    @Test("sign-in sets a __Host- cookie that is Secure, HttpOnly and SameSite=Strict, and a CSRF token guards every change")
    func cookieAndCSRF() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            let signIn = try await Self.send(client, .post, "/v1/session", body: #"{"username": "parent1", "password": "\#(World.password)"}"#)
            #expect(signIn.status == .created)
            let cookie = try #require(signIn.headers[.setCookie])
            let attributes = Set(cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(cookie.hasPrefix("__Host-guichet="))
            #expect(attributes.isSuperset(of: ["Path=/", "Secure", "HttpOnly", "SameSite=Strict"]))
            #expect(!attributes.contains { $0.lowercased().hasPrefix("domain=") })
            let json = try JSONDecoder().decode(JSON.self, from: Data(signIn.text.utf8))
            let csrf = try #require(json.object?["csrfToken"]?.string)
            let pair = String(cookie.split(separator: ";")[0])

            let me = try await Self.send(client, .get, "/v1/me", headers: ["Cookie": "theme=dark; \(pair)"])
            #expect(me.status == .ok, "a safe request needs only the cookie")

            let noToken = try await Self.send(client, .delete, "/v1/me/sessions", headers: ["Cookie": pair])
            #expect(noToken.status == .forbidden)
            let wrong = try await Self.send(client, .delete, "/v1/me/sessions", headers: ["Cookie": pair, "Guichet-CSRF": String(csrf.reversed())])
            #expect(wrong.status == .forbidden)
            let crossSite = try await Self.send(client, .delete, "/v1/me/sessions",
                                                headers: ["Cookie": pair, "Guichet-CSRF": csrf, "Sec-Fetch-Site": "cross-site"])
            #expect(crossSite.status == .forbidden)
            #expect(try await Self.send(client, .get, "/v1/me", headers: ["Cookie": pair]).status == .ok, "refused requests changed nothing")

            let out = try await Self.send(client, .delete, "/v1/session", headers: ["Cookie": pair, "Guichet-CSRF": csrf, "Sec-Fetch-Site": "same-origin"])
            #expect(out.status == .noContent)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true, "sign-out clears the cookie")
            #expect(try await Self.send(client, .get, "/v1/me", headers: ["Cookie": pair]).status == .unauthorized)
        }
    }

    @Test("each listener reads only its own cookie")
    func listenersKeepTheirCookies() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let adminToken = try await world.token("admin")
        try await world.withPublic { client in
            let r = try await Self.send(client, .get, "/v1/me", headers: ["Cookie": "__Host-guichet-admin=\(adminToken)"])
            #expect(r.status == .unauthorized)
        }
        try await world.withAdmin { client in
            let r = try await Self.send(client, .get, "/admin/v1/accounts", headers: ["Cookie": "__Host-guichet-admin=\(adminToken)"])
            #expect(r.status == .ok)
            let publicCookie = try await Self.send(client, .get, "/admin/v1/accounts", headers: ["Cookie": "__Host-guichet=\(adminToken)"])
            #expect(publicCookie.status == .unauthorized)
        }
    }
}
