import Foundation
import Testing
@testable import GuichetWatch
import GuichetSynth

/// The watch's counts of distinct persons over the burst window and the hour, kept as persons
/// are shown and as the windows move (issue 18), against the plain definition: the persons whose
/// last showing is at or after a window's start.
@Suite struct RecentPersonsTests {
    /// The definition, recomputed from every showing: the old code's pass over the hour.
    struct Model {
        var last: [UInt64: Int64] = [:]
        var latest = Int64.min
        mutating func show(_ person: UInt64, at second: Int64) {
            latest = max(latest, second)
            last[person] = latest
        }
        func count(since start: Int64) -> Int { last.values.filter { $0 >= start }.count }
    }

    /// Random showings over a few hours, some persons shown again, some seconds out of order,
    /// pauses longer than the hour, windows of random lengths; after every step the counts,
    /// and the last second of every person still within a window, match the definition.
    @Test("the counts match a recount of every showing, over random sequences", arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func matchesRecount(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let burst = Int64.random(in: 1...900, using: &rng)
        var recent = RecentPersons(), model = Model()
        var now: Int64 = 1_767_225_600
        var starts = (burst: Int64.min, hour: Int64.min)
        let persons = (0..<Int.random(in: 5...400, using: &rng)).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) }
        for step in 0..<3_000 {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<70: now += Int64.random(in: 0...3, using: &rng)
            case 70..<95: now += Int64.random(in: 4...120, using: &rng)
            case 95..<98: now += Int64.random(in: 3_600...8_000, using: &rng)
            default: now -= Int64.random(in: 1...5, using: &rng)  // a request assessed late
            }
            recent.advance(burst: now - burst, hour: now - 3_600)
            starts = (max(starts.burst, now - burst), max(starts.hour, now - 3_600))
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let p = persons.randomElement(using: &rng)!
                recent.show(p, at: now)
                model.show(p, at: now)
            }
            // The windows never move back: a late request counts from the latest starts.
            #expect(recent.starts.burst == starts.burst && recent.starts.hour == starts.hour)
            let counts = recent.counts
            #expect(counts.burst == model.count(since: starts.burst), "step \(step): burst window")
            #expect(counts.hour == model.count(since: starts.hour), "step \(step): hour")
            for p in persons where (model.last[p] ?? .min) >= min(starts.burst, starts.hour) {
                #expect(recent[p] == model.last[p], "step \(step): a person within a window")
            }
        }
        #expect(recent.held <= 2 * recent.count + 1_025, "stale showings are dropped")
        recent.advance(burst: now + 7_200, hour: now + 7_200)
        #expect(recent.count == 0, "a person leaves once both windows passed it")
        #expect(recent.counts.burst == 0 && recent.counts.hour == 0)
    }

    @Test("the same persons shown again every second for an hour: the showings held stay about as many as the persons")
    func reshownPersons() {
        var recent = RecentPersons()
        let t: Int64 = 1_767_225_600
        for second in t..<(t + 3_600) {
            recent.advance(burst: second - 600, hour: second - 3_600)
            for p in UInt64(0)..<300 { recent.show(p, at: second) }
            #expect(recent.held <= 2 * 300 + 1_025, "second \(second - t)")
        }
        #expect(recent.counts.burst == 300 && recent.counts.hour == 300 && recent.count == 300)
    }

    @Test("stored as the map of last seconds, as before; decoded, it counts again from there")
    func storedForm() throws {
        let t: Int64 = 1_767_225_600
        var recent = RecentPersons()
        recent.advance(burst: t - 300, hour: t - 3_600)
        recent.show(7, at: t - 10)
        recent.show(8, at: t - 5)
        recent.show(7, at: t)
        let data = try JSONEncoder().encode(recent)
        let plain = try JSONDecoder().decode([UInt64: Int64].self, from: data)
        #expect(plain == [7: t, 8: t - 5], "the same bytes as the map the state held before")
        // A state stored by the earlier code (the map alone) decodes into the same counts.
        var back = try JSONDecoder().decode(RecentPersons.self, from: JSONEncoder().encode([UInt64(7): t, 8: t - 5, 9: t - 4_000]))
        back.advance(burst: t - 300, hour: t - 3_600)
        #expect(back.counts.burst == 2 && back.counts.hour == 2)
        #expect(back[9] == nil && back[8] == t - 5, "9 was older than both windows")
        back.advance(burst: t - 4, hour: t - 3_600)
        #expect(back.counts.burst == 1 && back.counts.hour == 2, "8 left the burst window, 7 is still in it")
    }
}
