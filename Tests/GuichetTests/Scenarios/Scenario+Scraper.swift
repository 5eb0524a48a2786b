import Foundation
import Testing
import GuichetCore

extension Scenario {
    /// What a stolen account got by scraping, and how it ended.
    struct Scrape: Sendable {
        /// Persons whose non-public fields came back, and which fields.
        var received: [String: Set<String>] = [:]
        var requests = 0
        /// Times the watch asked for the second factor again (off-hours, the ceiling).
        var stepUps = 0
        /// The answer that stopped it (a throttle or a suspension), if one did.
        var stoppedBy: Int?
        /// The status the next request got from the other server(s), after it was stopped.
        var afterwards: [Int] = []
    }

    /// A stolen staff account (password and second factor in hand) scraping at full speed over
    /// HTTP, as the docs allow: every id of `type` at the largest page, then each file opened
    /// in turn, each request to the next server (``serve(servers:)``); every step-up answered
    /// with the stolen factor, a justification added once the ceiling is reached; it stops at
    /// the first throttle or suspension (a real clock: it cannot wait out a 15-minute throttle).
    func scrape(_ account: Account, token: String, type: String, purpose: String) async throws -> Scrape {
        var ids: [String] = []
        var after: String?
        repeat {
            let page = try await call("GET", "/v1/dossiers?type=\(type)&limit=100" + (after.map { "&after=\($0)" } ?? ""), as: account, token: token,
                                      purpose: purpose)
            guard page.status == 200 else { throw TestFailure("listing: \(page)") }
            ids += page["dossiers"]?.array?.compactMap { $0.object?["id"]?.string } ?? []
            after = page["next"]?.string
        } while after != nil
        var out = Scrape()
        var headers: [String: String] = [:]
        var queue = ids[...]
        while let id = queue.first, out.stoppedBy == nil, out.requests < 5_000 {
            let r = try await call("GET", "/v1/dossiers/\(id)", token: token, purpose: purpose, headers: headers)
            out.requests += 1
            let detail = r["detail"]?.string ?? ""
            switch r.status {
            case 200:
                out.received.merge(personsReceived(r.json)) { $0.union($1) }
                queue = queue.dropFirst()
            case 403 where detail.hasPrefix("unusual activity: verify your second factor again") || detail.contains("ceiling"):
                out.stepUps += 1
                guard out.stepUps <= 20 else { return out }
                try await Task.sleep(for: .milliseconds(1_100))  // a factor proved after the second the watch asked
                try await proveTOTP(account, token: token)
                if detail.contains("ceiling") { headers["Guichet-Justification"] = "The family called about their file and asked for an update." }
            case 429 where detail.contains("at once"):
                continue
            case 429, 401:
                out.stoppedBy = r.status
            case 403 where detail.contains("suspended"):
                out.stoppedBy = r.status
            default:
                queue = queue.dropFirst()  // a file it may not open: the next one
            }
        }
        if out.stoppedBy != nil, let next = queue.first {
            // Each other server refuses too: the stop is in the database, not in one process's memory.
            for _ in 1..<max(2, listeners.count) {
                out.afterwards.append(try await call("GET", "/v1/dossiers/\(next)", token: token, purpose: purpose, headers: headers).status)
            }
        }
        return out
    }
}
