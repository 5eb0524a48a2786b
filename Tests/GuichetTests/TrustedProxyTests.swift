import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing
import GuichetCore
import GuichetGate
import Synchronization
@testable import GuichetServer

/// Behind the TLS proxy a public deployment needs, the client's address comes from the
/// proxy's forwarding headers, believed only from the proxies the operator lists (#16).
@Suite struct TrustedProxyTests {
    @Test("the client's address is the nearest untrusted one of the chain, only when the peer is a trusted proxy")
    func chain() throws {
        let proxies = try TrustedProxies(["10.0.0.5", "192.0.2.0/24", "2001:db8::/48"])
        #expect(proxies.client(peer: "203.0.113.9", forwarded: nil, forwardedFor: "198.51.100.7") == "203.0.113.9",
                "an untrusted peer's headers are ignored")
        #expect(proxies.client(peer: "10.0.0.5", forwarded: nil, forwardedFor: "198.51.100.7") == "198.51.100.7")
        #expect(proxies.client(peer: "10.0.0.5", forwarded: nil, forwardedFor: "6.6.6.6, 198.51.100.7, 192.0.2.10") == "198.51.100.7",
                "read from the right: the client's own left part does not choose its address")
        // Only the header the proxies write is read: nginx appends to X-Forwarded-For and passes
        // a client's own Forwarded through (an attacker's audit chose its address with it).
        #expect(proxies.client(peer: "10.0.0.5", forwarded: "for=6.6.6.6", forwardedFor: "1.2.3.4") == "1.2.3.4",
                "a client's Forwarded is ignored behind proxies that write X-Forwarded-For")
        #expect(proxies.client(peer: "10.0.0.5", forwarded: "for=6.6.6.6", forwardedFor: nil) == "10.0.0.5", "and never stands for it")
        let rfc = try TrustedProxies(["10.0.0.5", "192.0.2.0/24", "2001:db8::/48"], header: .forwarded)
        #expect(rfc.client(peer: "10.0.0.5", forwarded: #"for=198.51.100.7;proto=https, for="[2001:db8::1]:443""#, forwardedFor: "1.2.3.4")
                == "198.51.100.7", "behind proxies that write Forwarded (RFC 7239), it alone; trusted hops are skipped")
        #expect(rfc.client(peer: "10.0.0.5", forwarded: nil, forwardedFor: "1.2.3.4") == "10.0.0.5", "and X-Forwarded-For is ignored")
        #expect(rfc.client(peer: "10.0.0.5", forwarded: #"for="[2001:DB8:0::1]""#, forwardedFor: nil) == "2001:db8::1", "IPv6 in one spelling")
        #expect(proxies.client(peer: "10.0.0.5", forwarded: nil, forwardedFor: "not-an-address") == "10.0.0.5", "a bad header leaves the peer")
        #expect(rfc.client(peer: "10.0.0.5", forwarded: "for=unknown", forwardedFor: nil) == "10.0.0.5")
        #expect(proxies.client(peer: "10.0.0.5", forwarded: nil, forwardedFor: nil) == "10.0.0.5")
        #expect(TrustedProxies.none.client(peer: "127.0.0.1", forwarded: nil, forwardedFor: "198.51.100.7") == "127.0.0.1")
        // A dual-stack listener reports an IPv4 peer mapped into IPv6: it is still the proxy
        // listed as IPv4, and a client's mapped address is recorded as its IPv4 address.
        #expect(proxies.client(peer: "::ffff:10.0.0.5", forwarded: nil, forwardedFor: "::ffff:198.51.100.7") == "198.51.100.7")
        #expect(proxies.client(peer: "::ffff:203.0.113.9", forwarded: nil, forwardedFor: "198.51.100.7") == "203.0.113.9", "an untrusted peer, in one spelling")
        let mapped = try TrustedProxies(["::ffff:10.0.0.0/120"])
        #expect(mapped.trusts("10.0.0.200") && !mapped.trusts("10.0.1.1"), "an IPv4 network written mapped into IPv6")
        for bad in ["proxy.example", "10.0.0.0/33", "2001:db8::/129", "", "::ffff:10.0.0.0/95"] {
            #expect(throws: GuichetError.self) { _ = try TrustedProxies([bad]) }
        }
        // Too wide to be one's proxies: any client in it would choose the address recorded (a
        // controls audit started a server trusting 0.0.0.0/0 and wrote its own address into
        // the ledger with X-Forwarded-For).
        for wide in ["0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96", "1.0.0.0/8", "198.0.0.0/15", "2001:db8::/32", "10.0.0.0/7"] {
            do { _ = try TrustedProxies([wide]); Issue.record("\(wide) accepted") } catch let e as GuichetError {
                #expect(e.description.contains("too wide") || e.description.contains("prefix"), "\(wide): \(e.description)")
            }
        }
        for narrow in ["10.0.0.0/8", "172.16.0.0/12", "100.64.0.0/10", "192.0.2.0/16", "fc00::/7", "fd12:3456::/32", "2001:db8:1::/48", "203.0.113.7"] {
            #expect(throws: Never.self) { _ = try TrustedProxies([narrow]) }
        }
    }

    @Test("a forwarding header from a loopback or private peer with no proxy listed is what the server warns of once; from a public peer it is not")
    func unlistedProxy() {
        let xff: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "198.51.100.7"]
        #expect(ForwardedMiddleware.throughUnlistedProxy(peer: "127.0.0.1", xff))
        #expect(ForwardedMiddleware.throughUnlistedProxy(peer: "10.1.2.3", xff) && ForwardedMiddleware.throughUnlistedProxy(peer: "192.168.0.9", xff))
        #expect(ForwardedMiddleware.throughUnlistedProxy(peer: "::1", xff) && ForwardedMiddleware.throughUnlistedProxy(peer: "fd00::5", xff))
        #expect(ForwardedMiddleware.throughUnlistedProxy(peer: "127.0.0.1", [HTTPField.Name("Forwarded")!: "for=198.51.100.7"]))
        #expect(!ForwardedMiddleware.throughUnlistedProxy(peer: "203.0.113.9", xff), "a client on the Internet may send one to anyone")
        #expect(!ForwardedMiddleware.throughUnlistedProxy(peer: "172.32.0.1", xff), "outside 172.16.0.0/12")
        #expect(!ForwardedMiddleware.throughUnlistedProxy(peer: "127.0.0.1", [:]), "no header, no proxy")
        #expect(ForwardedMiddleware.unlistedProxy.contains("list the proxy in trustedProxies"))
    }

    /// Registers `count` citizens over a real socket, each as if from its own address.
    static func register(_ world: World, trusted: [String], count: Int) async throws -> [HTTPResponse.Status] {
        let server = GuichetServer(gate: world.gate, auth: world.auth, store: world.store, trustedProxies: try TrustedProxies(trusted))
        let app = Application(router: server.publicRouter().0)
        let statuses = Mutex<[HTTPResponse.Status]>([])
        try await app.test(.live) { client in
            for i in 0..<count {
                let body = """
                    {"username": "parent.\(i)", "password": "\(World.password)",
                     "person": {"firstName": "Marie", "lastName": "Tremblay", "birthDate": "1991-02-03", "email": "parent\(i)@example.org"}}
                    """
                let r = try await client.execute(uri: "/v1/accounts", method: .post,
                                                 headers: [.contentType: "application/json", HTTPField.Name("X-Forwarded-For")!: "198.51.100.\(i + 1)"],
                                                 body: ByteBuffer(string: body))
                statuses.withLock { $0.append(r.status) }
            }
        }
        return statuses.withLock { $0 }
    }

    @Test("asking whether user names are taken counts against the address like registering: the eleventh ask in an hour waits")
    func takenNameProbesAreThrottled() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let server = GuichetServer(gate: world.gate, auth: world.auth, store: world.store)
        let app = Application(router: server.publicRouter().0)
        let statuses = Mutex<[HTTPResponse.Status]>([])
        try await app.test(.live) { client in
            for _ in 0..<11 {
                let body = """
                    {"username": "parent.taken", "password": "\(World.password)",
                     "person": {"firstName": "Marie", "lastName": "Tremblay", "birthDate": "1991-02-03", "email": "parent.taken@example.org"}}
                    """
                let r = try await client.execute(uri: "/v1/accounts", method: .post, headers: [.contentType: "application/json"],
                                                 body: ByteBuffer(string: body))
                statuses.withLock { $0.append(r.status) }
            }
        }
        let seen = statuses.withLock { $0 }
        #expect(seen.first == .created)
        // The taken name gets the same answer as a free one (no user enumeration), and counts.
        #expect(seen.dropFirst().prefix(9).allSatisfy { $0 == .created }, "\(seen)")
        #expect(seen.last == .tooManyRequests, "\(seen)")
    }

    @Test("behind a trusted proxy, eleven citizens from eleven addresses all register; the same headers from an untrusted peer count as one address")
    func registrationsPerAddress() async throws {
        let trusted = try await World.make()
        defer { trusted.remove() }
        let behindProxy = try await Self.register(trusted, trusted: ["127.0.0.1", "::1"], count: 11)
        #expect(behindProxy.allSatisfy { $0 == .created }, "\(behindProxy)")

        let untrusted = try await World.make()
        defer { untrusted.remove() }
        let direct = try await Self.register(untrusted, trusted: [], count: 11)
        #expect(direct.prefix(10).allSatisfy { $0 == .created })
        #expect(direct.last == .tooManyRequests, "ten registrations an hour per address: the forged header changed nothing")
    }
}
