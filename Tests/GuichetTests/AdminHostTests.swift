import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetServer
import GuichetDeployment

/// DNS rebinding: a page on `rebind.evil.example`, its name made to resolve to 127.0.0.1, reached
/// the loopback-only admin listener from the administrator's own browser (`/metrics` answered
/// 200, and sign-in took the foreign Host with the same foreign Origin). The admin listener now
/// answers only requests addressed to a name it knows.
@Suite struct AdminHostTests {
    static func get(_ path: String, host: String?) -> String {
        "GET \(path) HTTP/1.1\r\n" + (host.map { "Host: \($0)\r\n" } ?? "") + "Connection: close\r\n\r\n"
    }

    @Test("the admin listener refuses a foreign Host with 421 before any route runs, and serves localhost, loopback addresses and the configured names")
    func foreignHostRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let app = Application(router: world.server.adminRouter(hostNames: ["admin.guichet.example"]).0, server: GuichetServer.http1)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            func ask(_ request: String) async throws -> String? {
                let c = try RawConnection(port: port)
                defer { c.close() }
                return await c.exchange(request)
            }
            for host in ["rebind.evil.example:\(port)", "rebind.evil.example", "127.0.0.1.evil.example:\(port)", "127.evil.example", "[::2]:\(port)", "10.0.0.1"] {
                for path in ["/metrics", "/web/sign-in", "/healthz"] {
                    let answer = try await ask(Self.get(path, host: host))
                    #expect(RawConnection.status(answer) == 421, "\(host) \(path)")
                    #expect(answer?.contains("application/problem+json") == true && answer?.contains("adminHostNames") == true)
                }
            }
            let signIn = #"{"username": "admin", "password": "\#(World.password)"}"#
            let post = "POST /admin/v1/session HTTP/1.1\r\nHost: rebind.evil.example:\(port)\r\nOrigin: http://rebind.evil.example:\(port)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(signIn.utf8.count)\r\nConnection: close\r\n\r\n\(signIn)"
            let refused = try await ask(post)
            #expect(RawConnection.status(refused) == 421 && refused?.contains("token") == false, "no session for a rebound page")
            for host in ["localhost:\(port)", "127.0.0.1:\(port)", "LOCALHOST", "127.0.0.2", "[::1]:\(port)", "admin.guichet.example:\(port)"] {
                #expect(RawConnection.status(try await ask(Self.get("/metrics", host: host))) == 200, "\(host)")
            }
            #expect(RawConnection.status(try await ask(Self.get("/healthz", host: nil))) == 400, "HTTP/1.1 requires a Host (RFC 9112 §3.2)")
            // Two Host headers (an attacker test: only the first was checked): 400 in either order (RFC 9112 §3.2).
            for (first, second) in [("localhost:\(port)", "rebind.evil.example"), ("rebind.evil.example", "localhost:\(port)"), ("localhost", "localhost")] {
                let answer = try await ask("GET /metrics HTTP/1.1\r\nHost: \(first)\r\nHost: \(second)\r\nConnection: close\r\n\r\n")
                let status = RawConnection.status(answer)
                #expect(status == 400 || (status == 421 && first.hasPrefix("rebind")), "\(first) then \(second): \(status.map(String.init) ?? "none")")
                #expect(answer?.contains("guichet_") != true, "no metrics")
            }
        }
    }

    @Test("the public listener keeps answering whatever the Host: a reverse proxy chooses it")
    func publicListenerUnchanged() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let app = Application(router: world.server.publicRouter().0, server: GuichetServer.http1)
        try await app.test(.live) { client in
            let c = try RawConnection(port: try #require(client.port))
            defer { c.close() }
            #expect(RawConnection.status(await c.exchange(Self.get("/healthz", host: "registry.example.org"))) == 200)
        }
    }

    @Test("loopback is localhost, 127.0.0.0/8 or ::1, never a name that starts with 127.",
          arguments: [("localhost", true), ("127.0.0.1", true), ("127.9.9.9", true), ("::1", true), ("[::1]", true), ("::ffff:127.0.0.1", true),
                      ("127.evil.example", false), ("127.0.0.1.nip.io", false), ("0.0.0.0", false), ("::", false), ("10.0.0.1", false), ("localhost.evil", false)])
    func loopbackNames(_ host: String, _ loopback: Bool) {
        #expect(ListenerConfiguration.isLoopback(host) == loopback)
    }

    @Test("adminHostNames comes from guichet.yaml, and GUICHET_ADMIN_HOST_NAMES wins over it")
    func adminHostNamesSetting() throws {
        var settings = Deployment.Settings()
        settings.adminHostNames = ["admin.guichet.example"]
        #expect(try Deployment.listeners(ListenerFlags(), settings: settings, environment: [:]).configuration.adminHostNames == ["admin.guichet.example"])
        let env = ["GUICHET_ADMIN_HOST_NAMES": "a.example, b.example"]
        #expect(try Deployment.listeners(ListenerFlags(), settings: settings, environment: env).configuration.adminHostNames == ["a.example", "b.example"])
        #expect(try Deployment.listeners(ListenerFlags(), settings: .init(), environment: [:]).configuration.adminHostNames == [])
    }
}
