import Foundation
import Testing
import GuichetCore
@testable import GuichetAuth

/// The per-address limit of one server (``SourceLimiter``) against addresses that never repeat:
/// what it holds stays bounded, and the limit on an address that does repeat still holds.
@Suite struct SourceLimiterTests {
    let start = Date(timeIntervalSince1970: 1_780_000_000)

    /// An address of the documentation prefix 2001:db8::/32 (RFC 3849), the `n`th of a walk.
    static func address(_ n: Int) -> String { "2001:db8:\(String(n >> 16, radix: 16)):\(String(n & 0xffff, radix: 16))::1" }

    @Test("sign-in failures from 250,000 ever new addresses over 40 minutes: the sources held stay bounded, and each window's are swept")
    func floodFromNewAddresses() async throws {
        let policy = ThrottlePolicy()  // 10-minute window
        let limiter = SourceLimiter(policy: policy)
        var most = 0
        for n in 0..<250_000 {
            // About 100 a second: 60,000 addresses in one window.
            await limiter.fail(Self.address(n), now: start.addingTimeInterval(Double(n) / 100))
            if n % 1_000 == 0 { most = max(most, await limiter.sources) }
        }
        #expect(most <= 2 * 60_000 + 1_000, "no more than twice one window's addresses at any time (held at most \(most))")
        // The first failure once the whole flood has left the window lets it go.
        await limiter.fail("192.0.2.1", now: start.addingTimeInterval(2_500 + policy.perSourceWindow))
        #expect(await limiter.sources == 1)
    }

    @Test("more new addresses in one window than the limiter holds: it keeps at most its bound, the latest ones")
    func floodWithinOneWindow() async throws {
        let limiter = SourceLimiter(policy: ThrottlePolicy())
        for n in 0..<(2 * SourceLimiter.maxSources + 10) {
            await limiter.fail(Self.address(n), now: start.addingTimeInterval(Double(n) / 1_000))
        }
        #expect(await limiter.sources <= 2 * SourceLimiter.maxSources)
        let last = Self.address(2 * SourceLimiter.maxSources + 9)
        #expect(await limiter.retryAfter(last, now: start.addingTimeInterval(201)) == nil)
        for _ in 0..<29 { await limiter.fail(last, now: start.addingTimeInterval(201)) }
        #expect(await limiter.retryAfter(last, now: start.addingTimeInterval(201)) != nil, "the latest address is still counted: its 30th failure stops it")
    }

    @Test("failed sign-ins on the public listener do not lock the admin listener's sign-ins from the same address, nor the reverse")
    func listenersCountApart() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let proxy = "127.0.0.1"  // a proxy on the same host, no trustedProxies: every public client is this address
        for i in 0..<30 {
            await #expect(throws: GuichetError.unauthenticated) {
                _ = try await world.auth.signIn(username: "nobody.\(i)", password: "wrong guess", source: proxy, adminListener: false)
            }
        }
        await #expect(throws: GuichetError.self, "the public listener's address is held") {
            _ = try await world.auth.signIn(username: "agent", password: World.password, source: proxy, adminListener: false)
        }
        let admin = try await world.auth.signIn(username: "admin", password: World.password, source: proxy, adminListener: true)
        #expect(admin.principal.kind == .admin, "the administrator, from the same address, signs in on the admin listener")
        for i in 0..<30 {
            _ = try? await world.auth.signIn(username: "nobody.admin.\(i)", password: "wrong guess", source: "192.0.2.7", adminListener: true)
        }
        let citizen = try await world.auth.signIn(username: "analyst", password: World.password, source: "192.0.2.7", adminListener: false)
        #expect(citizen.principal.kind != .admin, "and the admin listener's failures do not hold the public one")
    }

    @Test("checking addresses that never failed holds nothing")
    func checksHoldNothing() async throws {
        let limiter = SourceLimiter(policy: ThrottlePolicy())
        for n in 0..<10_000 { #expect(await limiter.retryAfter(Self.address(n), now: start) == nil) }
        #expect(await limiter.sources == 0)
    }

    @Test("an address that repeats is stopped at its 30th failure in 10 minutes, whatever sweeps ran meanwhile, and free again after the window")
    func repeatedAddressStillLimited() async throws {
        let policy = ThrottlePolicy()
        let limiter = SourceLimiter(policy: policy)
        let attacker = "198.51.100.7"
        for i in 0..<policy.perSourceFailures {
            let now = start.addingTimeInterval(Double(i))
            #expect(await limiter.retryAfter(attacker, now: now) == nil)
            await limiter.fail(attacker, now: now)
            // Failures from new addresses in between, enough for several sweeps.
            for n in 0..<1_000 { await limiter.fail(Self.address(i * 1_000 + n), now: now) }
        }
        let wait = try #require(await limiter.retryAfter(attacker, now: start.addingTimeInterval(30)))
        #expect(wait > 0 && wait <= policy.perSourceWindow)
        #expect(await limiter.retryAfter(attacker, now: start.addingTimeInterval(policy.perSourceWindow + 30)) == nil)
    }

    @Test("an IPv6 address counts by its /64; IPv4, IPv4 mapped into IPv6, zones and text that is no address")
    func sourceKeys() {
        #expect(SourceKey.of("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64")
        #expect(SourceKey.of("2001:DB8:1:2::1") == "2001:db8:1:2::/64", "written differently, the same /64")
        #expect(SourceKey.of("2001:0db8:0001:0002:0:0:0:ffff") == "2001:db8:1:2::/64")
        #expect(SourceKey.of("2001:db8:1:3::1") == "2001:db8:1:3::/64", "the next /64 is another source")
        #expect(SourceKey.of("fe80::1%eth0") == "fe80::/64")
        #expect(SourceKey.of("::1") == "::/64")
        #expect(SourceKey.of("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(SourceKey.of("192.0.2.1") == "192.0.2.1")
        #expect(SourceKey.of("198.51.100.7") != SourceKey.of("198.51.100.8"), "IPv4 addresses count apart")
        #expect(SourceKey.of("not an address") == "not an address")
        #expect(SourceKey.of("2001:db8::zz") == "2001:db8::zz")
    }

    @Test("an attacker walking the addresses of one IPv6 /64 is stopped at its 30th failure; another /64 is not")
    func walkWithinOneSlash64() async throws {
        let policy = ThrottlePolicy()
        let limiter = SourceLimiter(policy: policy)
        for i in 0..<policy.perSourceFailures {
            let address = "2001:db8:5:6:\(String(i, radix: 16)):\(String(i * 7919 & 0xffff, radix: 16)):1:\(String(i, radix: 16))"
            #expect(await limiter.retryAfter(address, now: start) == nil, "failure \(i + 1) is let through")
            await limiter.fail(address, now: start)
        }
        #expect(await limiter.retryAfter("2001:db8:5:6:ffff:ffff:ffff:fffe", now: start) != nil, "a new address of the same /64 must wait")
        #expect(await limiter.retryAfter("2001:db8:5:7::1", now: start) == nil, "the next /64 is not held back")
        #expect(await limiter.sources == 1, "one /64, one source held")
    }

    /// A storage shared by several servers, in memory: what ``StoredSourceLimiter`` is given.
    actor SharedFailures: SharedSourceStorage {
        var failures: [String: [Date]] = [:]
        func recordSourceFailure(limit: String, source: String, at: Date, keepingSince: Date) {
            failures[limit + " " + source, default: []].append(at)
        }
        func sourceFailures(limit: String, source: String, since: Date, max: Int) -> [Date] {
            Array((failures[limit + " " + source] ?? []).filter { $0 >= since }.prefix(max))
        }
    }

    @Test("the limit shared by several servers also counts an IPv6 /64 as one source")
    func sharedLimitBySlash64() async throws {
        let policy = ThrottlePolicy()
        let storage = SharedFailures()
        let limiter = StoredSourceLimiter(storage: storage, limit: "sign-in", policy: policy)
        for i in 0..<policy.perSourceFailures {
            try await limiter.fail("2001:db8:9:a::\(String(i + 1, radix: 16))", now: start)
        }
        #expect(try await limiter.retryAfter("2001:db8:9:a:1:2:3:4", now: start) != nil)
        #expect(try await limiter.retryAfter("2001:db8:9:b::1", now: start) == nil)
        #expect(await storage.failures.keys.sorted() == ["sign-in 2001:db8:9:a::/64"], "stored under the /64, never the full address")
    }
}
