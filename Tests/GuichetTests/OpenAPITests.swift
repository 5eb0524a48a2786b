import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
@testable import GuichetServer

/// The routes each OpenAPI document describes.
enum OpenAPIRoutes {
    struct Route: Sendable, Hashable, CustomStringConvertible {
        let method: String
        let path: String
        var description: String { "\(method.uppercased()) \(path)" }
    }

    static func routes(_ document: JSON) -> Set<Route> {
        var out = Set<Route>()
        for (path, item) in document.object?["paths"]?.object ?? [:] {
            for method in item.object?.keys ?? [:].keys { out.insert(Route(method: method, path: path)) }
        }
        return out
    }

    static let `public` = routes(OpenAPI.publicDocument).sorted { $0.description < $1.description }
    static let admin = routes(OpenAPI.adminDocument).sorted { $0.description < $1.description }
}

@Suite struct OpenAPITests {
    func recorded(_ recorder: RouteRecorder) -> Set<OpenAPIRoutes.Route> {
        Set(recorder.routes.map { route in
            let path = route.path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
            }.joined(separator: "/")
            return OpenAPIRoutes.Route(method: route.method.lowercased(), path: path)
        })
    }

    @Test("the public OpenAPI document lists exactly the routes the public router has")
    func publicDocumentMatchesRouter() async throws {
        let world = try await World.make()
        defer { world.remove() }
        #expect(recorded(world.server.publicRouter().1) == Set(OpenAPIRoutes.public))
    }

    @Test("the admin OpenAPI document lists exactly the routes the admin router has")
    func adminDocumentMatchesRouter() async throws {
        let world = try await World.make()
        defer { world.remove() }
        #expect(recorded(world.server.adminRouter().1) == Set(OpenAPIRoutes.admin))
    }

    @Test("every documented public route exists on the router (no router 404 for it)", arguments: OpenAPIRoutes.public)
    func documentedRouteExists(_ route: OpenAPIRoutes.Route) async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            let path = route.path.replacingOccurrences(of: "{id}", with: DossierID().rawValue).replacingOccurrences(of: "{name}", with: "offer")
            let r = try await client.call(HTTPRequest.Method(route.method.uppercased())!, path, body: route.method == "get" || route.method == "delete" ? nil : "{}")
            // Without a token the secured routes answer 401, the others 200/400: never 404/405.
            #expect(r.status != .notFound && r.status != .methodNotAllowed, "\(route) answered \(r.status)")
        }
    }

    @Test("the public document lists a search's criteria, one per searchable field path of the profile; those it lists find a file")
    func searchCriteriaDocumented() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let made = try await world.application(by: "parent1")
        let token = try await world.token("agent")
        try await world.withPublic { client in
            let document = try await client.call(.get, "/openapi.json")
            let parameters = document.json?.object?["paths"]?.object?["/v1/dossiers"]?.object?["get"]?.object?["parameters"]?.array ?? []
            let names = Set(parameters.compactMap { $0.object?["in"]?.string == "query" ? $0.object?["name"]?.string : nil })
            for path in ["child.lastName", "child.birthDate", "child.nam", "parent.lastName", "parent.email"] {
                #expect(names.contains(path), "\(path) in \(names.sorted())")
            }
            #expect(!names.contains("child.firstName") && !names.contains("child.specialNeeds"), "a field the profile does not make searchable is not offered")
            let found = try await client.call(.get, "/v1/dossiers?type=application&child.lastName=Tremblay&child.birthDate=2025-02-03",
                                              token: token, purpose: "list-management")
            #expect(found.status == .ok && found.text.contains(made.id.rawValue), "\(found.status) \(found.text.prefix(300))")
        }
    }

    @Test("the served documents are valid OpenAPI 3.1 (checked by openapi-spec-validator)")
    func documentsAreValid() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [String] = []
        try await world.withPublic { client in
            let text = try await client.call(.get, "/openapi.json").text
            try text.write(to: folder.appendingPathComponent("public.json"), atomically: true, encoding: .utf8)
        }
        try await world.withAdmin { client in
            let text = try await client.call(.get, "/openapi.json").text
            try text.write(to: folder.appendingPathComponent("admin.json"), atomically: true, encoding: .utf8)
        }
        files = ["public.json", "admin.json"].map { folder.appendingPathComponent($0).path }
        for file in files {
            let result = try await Python.run(["-m", "openapi_spec_validator", file])
            #expect(result.status == 0, "openapi-spec-validator: \(result.output)")
        }
    }
}
