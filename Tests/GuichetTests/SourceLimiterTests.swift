import Foundation
import Testing
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
}
