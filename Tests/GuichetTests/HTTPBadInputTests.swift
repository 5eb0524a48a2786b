import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore

/// Bad input gets a clear 4xx problem detail, never a 500, and writes nothing.
@Suite struct HTTPBadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let method: HTTPRequest.Method
        let path: String   // "{A}" stands for an existing dossier id, "{D}" for a daycare id
        let body: String?
        var contentType = "application/json"
        let status: HTTPResponse.Status
        let detail: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", method: .post, path: "/v1/dossiers", body: #"{"type": "application", "#, status: .badRequest, detail: "not valid JSON"),
        Case(name: "a key given twice", method: .post, path: "/v1/dossiers", body: #"{"type": "application", "type": "application"}"#, status: .badRequest, detail: "gives 'type' twice"),
        Case(name: "a nested key given twice, once escaped", method: .post, path: "/v1/dossiers", body: "{D-dup-nested}", status: .badRequest, detail: "gives 'fields.daysPerWeek' twice"),
        Case(name: "JSON nested too deep", method: .post, path: "/v1/dossiers", body: String(repeating: #"{"a":"#, count: 40) + "1" + String(repeating: "}", count: 40), status: .badRequest, detail: "nested deeper than 32"),
        Case(name: "text after the JSON value", method: .post, path: "/v1/dossiers", body: #"{"type": "application"} {"type": "application"}"#, status: .badRequest, detail: "unexpected text after"),
        Case(name: "JSON that is not an object", method: .post, path: "/v1/dossiers", body: "[1, 2]", status: .badRequest, detail: "must be a JSON object"),
        Case(name: "wrong content type", method: .post, path: "/v1/dossiers", body: "type=application", contentType: "text/plain", status: .badRequest, detail: "application/json"),
        Case(name: "oversized body", method: .post, path: "/v1/dossiers", body: #"{"type": ""# + String(repeating: "x", count: 70_000) + #""}"#, status: .contentTooLarge, detail: "larger than 65536 bytes"),
        Case(name: "unknown top-level field", method: .post, path: "/v1/dossiers", body: #"{"type": "application", "colour": "blue"}"#, status: .badRequest, detail: "unknown field 'colour'"),
        Case(name: "unknown dossier field", method: .post, path: "/v1/dossiers", body: applicationBody(daycare: OrganisationID(), extra: #", "colour": "blue""#), status: .badRequest, detail: "unknown field 'colour'"),
        Case(name: "unknown person field", method: .post, path: "/v1/dossiers", body: "{D-child-unknown}", status: .badRequest, detail: "unknown field 'child.shoeSize'"),
        Case(name: "a system field set by a request", method: .post, path: "/v1/dossiers", body: "{D-offeredBy}", status: .badRequest, detail: "set by the workflow"),
        Case(name: "out-of-range number", method: .post, path: "/v1/dossiers", body: "{D-days9}", status: .badRequest, detail: "field 'daysPerWeek': expected a whole number from 1 to 5"),
        Case(name: "invalid health-insurance number", method: .post, path: "/v1/dossiers", body: "{D-badNAM}", status: .badRequest, detail: "field 'child.nam': expected a health-insurance number"),
        Case(name: "impossible date", method: .post, path: "/v1/dossiers", body: "{D-badDate}", status: .badRequest, detail: "field 'desiredStart': expected a date"),
        Case(name: "unknown partner", method: .post, path: "/v1/dossiers", body: applicationBody(daycare: OrganisationID()), status: .badRequest, detail: "is not a known organisation of kind 'daycare'"),
        Case(name: "invalid partner id", method: .post, path: "/v1/dossiers", body: "{D-badPartner}", status: .badRequest, detail: "'partners' is not a valid identifier"),
        Case(name: "invalid dossier id", method: .get, path: "/v1/dossiers/not-an-id", body: nil, status: .badRequest, detail: "'id' is not a valid identifier"),
        Case(name: "unknown dossier", method: .get, path: "/v1/dossiers/AAAAAAAAAAAAAAAAAAAAAA", body: nil, status: .notFound, detail: "not visible to you"),
        Case(name: "wrong workflow transition", method: .post, path: "/v1/dossiers/{A}/transitions/accept", body: nil, status: .conflict, detail: "cannot 'accept' a dossier in state 'waiting'"),
        Case(name: "unknown transition", method: .post, path: "/v1/dossiers/{A}/transitions/erase", body: nil, status: .badRequest, detail: "unknown transition 'erase'"),
        // A name the caller sent is repeated only when it looks like a name (`GuichetError.echo`):
        // a line break or a national id where a name goes is not sent back (an attacker test
        // saw `unknown transition '%0D%0AX-Evil:1'`).
        Case(name: "a transition that is not a name", method: .post, path: "/v1/dossiers/{A}/transitions/%0d%0aX-Evil:1", body: nil, status: .badRequest, detail: "unknown transition '(not a name)'"),
        Case(name: "an unknown key holding a value", method: .post, path: "/v1/dossiers", body: #"{"type": "application", "QQQQ 9913 9999": 1}"#, status: .badRequest, detail: "unknown field '(not a name)'"),
        Case(name: "unknown field in an update", method: .patch, path: "/v1/dossiers/{A}", body: #"{"fields": {"status": "closed"}}"#, status: .badRequest, detail: "unknown field 'status'"),
        Case(name: "unknown key in an update", method: .patch, path: "/v1/dossiers/{A}", body: #"{"status": "closed"}"#, status: .badRequest, detail: "unknown field 'status'"),
        Case(name: "removing a required field", method: .patch, path: "/v1/dossiers/{A}", body: #"{"fields": {"desiredStart": null}}"#, status: .badRequest, detail: "field 'desiredStart' is required"),
        Case(name: "unknown search field", method: .get, path: "/v1/dossiers?shoeSize=42", body: nil, status: .badRequest, detail: "you cannot search by 'shoeSize'"),
        Case(name: "unknown status", method: .get, path: "/v1/dossiers?status=lost", body: nil, status: .badRequest, detail: "unknown status"),
        Case(name: "limit out of range", method: .get, path: "/v1/dossiers?limit=1000", body: nil, status: .badRequest, detail: "limit must be from 1 to 100"),
        // A step takes no body but `{"version": N}`: anything else changes nothing (an API
        // audit withdrew a file with a truncated body); a body typed like JSON but not JSON is refused.
        Case(name: "a truncated body to a withdrawal", method: .post, path: "/v1/dossiers/{A}/withdraw", body: #"{"fields": {"schedule": "part-time""#, status: .badRequest, detail: "not valid JSON"),
        Case(name: "an unknown key in a withdrawal", method: .post, path: "/v1/dossiers/{A}/withdraw", body: #"{"fields": {}}"#, status: .badRequest, detail: "unknown field 'fields'"),
        Case(name: "a stale version in a withdrawal", method: .post, path: "/v1/dossiers/{A}/withdraw", body: #"{"version": 99}"#, status: .conflict, detail: "changed since version 99"),
        Case(name: "a truncated body to a transition", method: .post, path: "/v1/dossiers/{A}/transitions/withdraw", body: #"{"version": "#, status: .badRequest, detail: "not valid JSON"),
        Case(name: "a JSON look-alike content type", method: .post, path: "/v1/dossiers", body: #"{"type": "application"}"#, contentType: "application/json-patch+json", status: .badRequest, detail: "application/json"),
        Case(name: "JSON in another charset", method: .post, path: "/v1/dossiers", body: #"{"type": "application"}"#, contentType: "application/json; charset=latin1", status: .badRequest, detail: "application/json"),
        Case(name: "unknown purpose", method: .get, path: "/v1/dossiers/{A}", body: "{purpose:spying}", status: .badRequest, detail: "unknown purpose"),
    ]

    func resolve(_ body: String?, daycare: OrganisationID) -> String? {
        switch body {
        case "{D-child-unknown}": applicationBody(daycare: daycare, childFields: #", "shoeSize": 30"#)
        case "{D-offeredBy}": applicationBody(daycare: daycare, extra: #", "offeredBy": "me""#)
        case "{D-days9}": applicationBody(daycare: daycare).replacingOccurrences(of: #""daysPerWeek": 5"#, with: #""daysPerWeek": 9"#)
        case "{D-badNAM}": applicationBody(daycare: daycare, childFields: #", "nam": "QQQQ99139999""#)
        case "{D-badDate}": applicationBody(daycare: daycare).replacingOccurrences(of: "2027-09-01", with: "2027-02-30")
        case "{D-badPartner}": applicationBody(daycare: daycare).replacingOccurrences(of: daycare.rawValue, with: "../../etc/passwd")
        case "{D-dup-nested}": applicationBody(daycare: daycare).replacingOccurrences(of: #""daysPerWeek": 5"#, with: #""daysPerWeek": 5, "days\u0050erWeek": 2"#)
        case "{purpose:spying}": nil
        default: body
        }
    }

    @Test("bad input gives a clear problem detail and writes nothing", arguments: cases)
    func badInput(_ c: Case) async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let daycare = world.daycares[0].id
        let before = try await world.dataCounts()
        let body = resolve(c.body, daycare: daycare)
        let purpose = c.body == "{purpose:spying}" ? "spying" : nil
        try await world.withPublic { client in
            let token = try await world.token("parent1")
            let r = try await client.call(c.method, c.path.replacingOccurrences(of: "{A}", with: a.id.rawValue), token: token,
                                          purpose: purpose, body: body, contentType: c.contentType)
            #expect(r.status == c.status)
            #expect(r.headers[.contentType] == "application/problem+json")
            let detail = try #require(r["detail"]?.string)
            #expect(detail.contains(c.detail), "detail was: \(detail)")
            #expect(r["status"]?.integer == c.status.code)
            #expect(!detail.contains("QQQQ99139999") && !detail.contains("QQQQ 9913") && !detail.contains("Tremblay") && !detail.contains("X-Evil"),
                    "no value is echoed")
        }
        #expect(try await world.dataCounts() == before)
    }

    @Test("no token, a bad token and a signed-out token all get 401")
    func unauthenticated() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            #expect(try await client.call(.get, "/v1/dossiers").status == .unauthorized)
            #expect(try await client.call(.get, "/v1/dossiers", token: "forged").status == .unauthorized)
            let token = try await world.token("parent1")
            #expect(try await client.call(.get, "/v1/me", token: token).status == .ok)
            #expect(try await client.call(.delete, "/v1/session", token: token).status == .noContent)
            let after = try await client.call(.get, "/v1/me", token: token)
            #expect(after.status == .unauthorized)
            #expect(after.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test("an unknown user and a wrong password get the same answer")
    func noUserEnumeration() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            let unknown = try await client.call(.post, "/v1/session", body: #"{"username": "nobody", "password": "whatever-long-enough"}"#)
            let wrong = try await client.call(.post, "/v1/session", body: #"{"username": "agent", "password": "whatever-long-enough"}"#)
            #expect(unknown.status == .unauthorized && wrong.status == .unauthorized)
            #expect(unknown.text == wrong.text)
            // It says the credentials were not accepted, not that a token is missing.
            #expect(wrong.text.contains("was not accepted") && !wrong.text.contains("Bearer <token>"), "\(wrong.text)")
            let noToken = try await client.call(.get, "/v1/me")
            #expect(noToken.status == .unauthorized && noToken.text.contains("Bearer <token>"), "a missing token is still explained as such")
        }
    }

    @Test("a step with the version read, or an empty body, is taken; the content type may say charset=utf-8")
    func stepWithVersion() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        try await world.withPublic { client in
            let token = try await world.token("parent1")
            let r = try await client.call(.post, "/v1/dossiers/\(a.id)/withdraw", token: token, body: #"{"version": 1}"#, contentType: "application/json; charset=UTF-8")
            #expect(r.status == .ok && r["status"]?.string == "withdrawn", "\(r.text)")
        }
    }
}
