/// The persons an account was shown lately, each with the last second it was shown, and how
/// many were shown since the start of each of two windows (the burst window and the hour).
///
/// The counts are kept up to date as persons are shown and as the windows move forward, so a
/// request costs the persons it shows, not the persons of the whole hour (issue 18: a pass over
/// the hour's persons, three times per request, grew with what the account had read: the faster
/// an account read, the more each of its reads cost the server).
///
/// Stored as the map of last seconds alone, as before; the rest is rebuilt when a stored state
/// is decoded. Seconds only move forward: a person shown in a second earlier than one already
/// recorded (two requests assessed out of order) counts at the later second.
struct RecentPersons: Sendable {
    /// Person fingerprint → last second shown; a person leaves once both windows passed it.
    private(set) var last: [UInt64: Int64] = [:]
    /// Every showing still inside a window, oldest first, from `head` on. A showing is stale
    /// once its person was shown again (`last` then holds a later second).
    private var shown: [(second: Int64, person: UInt64)] = []
    private var head = 0
    /// The latest second shown so far.
    private var latest = Int64.min
    private var windows = [Window(), Window()]

    /// One window: its start (it only moves forward), the first showing it has not passed,
    /// and how many persons were last shown at or after its start.
    private struct Window: Sendable {
        var start = Int64.min
        var next = 0
        var count = 0
    }

    init() {}

    /// The last second a person was shown, if still within a window.
    subscript(person: UInt64) -> Int64? { last[person] }

    /// Persons shown since the start of the burst window and of the hour (``advance(burst:hour:)``).
    var counts: (burst: Int, hour: Int) { (windows[0].count, windows[1].count) }

    /// The windows' starts (``advance(burst:hour:)``): a person last shown before a start is
    /// not counted in that window.
    var starts: (burst: Int64, hour: Int64) { (windows[0].start, windows[1].start) }

    /// The counts of both windows once these persons are shown too (each new to a window adds one).
    func counts(adding persons: Set<UInt64>) -> (burst: Int, hour: Int) {
        var (burst, hour) = counts
        for p in persons {
            let seen = last[p] ?? Int64.min
            if seen < windows[0].start { burst += 1 }
            if seen < windows[1].start { hour += 1 }
        }
        return (burst, hour)
    }

    /// How many persons are held.
    var count: Int { last.count }

    /// How many showings are held (stale ones included): at most about twice the persons held.
    var held: Int { shown.count - head }

    /// Moves both windows' starts forward (never back) to these seconds.
    mutating func advance(burst: Int64, hour: Int64) {
        move(0, to: burst)
        move(1, to: hour)
        // Showings both windows passed leave, and so do the persons last shown then.
        let passed = min(windows[0].next, windows[1].next)
        while head < passed {
            let s = shown[head]
            if last[s.person] == s.second { last[s.person] = nil }
            head += 1
        }
        if head > 1_024, head * 2 > shown.count {
            shown.removeFirst(head)
            for w in windows.indices { windows[w].next -= head }
            head = 0
        }
    }

    private mutating func move(_ w: Int, to start: Int64) {
        guard start > windows[w].start else { return }
        windows[w].start = start
        var i = windows[w].next
        while i < shown.count, shown[i].second < start {
            if last[shown[i].person] == shown[i].second { windows[w].count -= 1 }
            i += 1
        }
        windows[w].next = i
    }

    /// Records that a person was shown at a second.
    mutating func show(_ person: UInt64, at second: Int64) {
        let at = max(second, latest)
        let before = last[person]
        guard before != at else { return }
        latest = at
        last[person] = at
        shown.append((at, person))
        // The same persons shown again and again (a reader going back over one list) leave
        // stale showings behind; past as many as the persons held, they are dropped.
        if shown.count - head > 2 * last.count + 1_024 { rebuild() }
        for w in windows.indices {
            if at < windows[w].start {
                // Already behind this window's start: it has passed every showing, this one too.
                windows[w].next = shown.count
            } else if before.map({ $0 < windows[w].start }) ?? true {
                windows[w].count += 1
            }
        }
    }

    /// Rebuilds the showings from `last` alone, oldest first, each window's place in them found
    /// again; the counts do not change (they depend on `last` and the starts only).
    private mutating func rebuild() {
        shown = last.map { (second: $0.value, person: $0.key) }.sorted { ($0.second, $0.person) < ($1.second, $1.person) }
        head = 0
        for w in windows.indices { windows[w].next = shown.firstIndex { $0.second >= windows[w].start } ?? shown.count }
    }
}

extension RecentPersons: Equatable {
    /// Two are equal when they hold the same persons at the same seconds (what is stored).
    static func == (a: RecentPersons, b: RecentPersons) -> Bool { a.last == b.last }
}

extension RecentPersons: Codable {
    init(from decoder: any Decoder) throws {
        last = try decoder.singleValueContainer().decode([UInt64: Int64].self)
        latest = last.values.max() ?? Int64.min
        for w in windows.indices { windows[w].count = last.count }
        rebuild()
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(last)
    }
}
