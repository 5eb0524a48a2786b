import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing
import GuichetCore
import GuichetServer

/// A response read into a parsed JSON body.
struct Reply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String
    var json: JSON? { try? JSONDecoder().decode(JSON.self, from: Data(text.utf8)) }
    subscript(key: String) -> JSON? { json?.object?[key] }
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, purpose: String? = nil,
              body: String? = nil, contentType: String = "application/json") async throws -> Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let purpose { headers[HTTPField.Name("Guichet-Purpose")!] = purpose }
        if body != nil { headers[.contentType] = contentType }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
            Reply(status: r.status, headers: r.headers, text: String(buffer: r.body))
        }
    }

}

extension World {
    /// Runs `body` against the public router (in process, no socket).
    func withPublic(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: server.publicRouter().0)
        try await app.test(.router, body)
    }

    /// Runs `body` against the admin router.
    func withAdmin(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: server.adminRouter().0)
        try await app.test(.router, body)
    }
}

/// JSON text for an application created by a parent over HTTP.
func applicationBody(daycare: OrganisationID, extra: String = "", childFields: String = "") -> String {
    """
    {"type": "application",
     "fields": {"desiredStart": "2027-09-01", "daysPerWeek": 5\(extra)},
     "persons": [{"role": "parent", "self": true},
                 {"role": "child", "fields": {"firstName": "Léa", "lastName": "Tremblay", "birthDate": "2025-06-30"\(childFields)}}],
     "partners": ["\(daycare.rawValue)"]}
    """
}
