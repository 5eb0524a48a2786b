import Foundation
import HTTPTypes
import Testing
import GuichetCore
@testable import GuichetServer

/// README C2, "no user enumeration", on the public sign-up (a hostile citizen's audit: `POST
/// /v1/accounts` answered 409 for `admin.demo`, `security.demo` and every staff name, and 201
/// for a free one, where the sign-in answers the same 401 for all).
@Suite struct RegistrationEnumerationTests {
    static func body(_ username: String, password: String = World.password) -> String {
        """
        {"username": "\(username)", "password": "\(password)",
         "person": {"firstName": "Marie", "lastName": "Tremblay", "birthDate": "1991-02-03", "email": "marie.t@example.org"}}
        """
    }

    @Test("signing up with an administrator's, a staff member's or a citizen's name answers as with a free name, writes nothing and changes no password; the free name's account works")
    func takenNamesAnswerAsFree() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent.first")
        let newPassword = "quiet river under seven lanterns"
        try await world.withPublic { client in
            let free = try await client.call(.post, "/v1/accounts", body: Self.body("parent.second"))
            #expect(free.status == .created)
            let keys = Set(free.json?.object?.keys.map { $0 } ?? [])
            #expect(keys == ["account", "person", "role", "next"], "\(keys)")

            for taken in ["admin", "agent", "parent.first"] {
                let before = try await world.gate.ledgerSize()
                let r = try await client.call(.post, "/v1/accounts", body: Self.body(taken, password: newPassword))
                #expect(r.status == free.status, "\(taken): \(r.status)")
                #expect(Set(r.json?.object?.keys.map { $0 } ?? []) == keys)
                #expect(r["role"] == free["role"] && r["next"] == free["next"])
                let person = try #require(r["person"]?.string.flatMap(PersonID.init(validating:)))
                let account = try #require(r["account"]?.string.flatMap(AccountID.init(validating:)))
                // Nothing was written: no entry, no person, the owner's password unchanged.
                #expect(try await world.gate.ledgerSize() == before, "\(taken): nothing journalled, nothing stored")
                #expect(try await world.store.persons([person]).isEmpty)
                #expect(try await world.store.account(id: account) == nil)
                let signIn = try await client.call(.post, "/v1/session", body: #"{"username": "\#(taken)", "password": "\#(newPassword)"}"#)
                #expect(signIn.status == .unauthorized, "\(taken): the password sent at sign-up is not the account's")
            }
            let second = try await client.call(.post, "/v1/session", body: #"{"username": "parent.second", "password": "\#(World.password)"}"#)
            #expect(second.status == .created, "the free name's account signs in")
            let first = try await client.call(.post, "/v1/session", body: #"{"username": "parent.first", "password": "\#(World.password)"}"#)
            #expect(first.status == .created, "the owner of a name asked for keeps their password")
        }
    }

    @Test("bad person fields are 400 before the name is looked at, for a taken name as for a free one")
    func badFieldsFirst() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            let bad = #"{"username": "%@", "password": "\#(World.password)", "person": {"firstName": "Marie", "birthDate": "not a date"}}"#
            let taken = try await client.call(.post, "/v1/accounts", body: bad.replacingOccurrences(of: "%@", with: "admin"))
            let free = try await client.call(.post, "/v1/accounts", body: bad.replacingOccurrences(of: "%@", with: "parent.free"))
            #expect(taken.status == .badRequest && free.status == .badRequest)
            #expect(taken["detail"] == free["detail"], "\(taken.text) / \(free.text)")
        }
    }
}
