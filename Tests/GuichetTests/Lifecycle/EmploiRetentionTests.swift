import Foundation
import Testing
import GuichetCore
import GuichetGate
@testable import GuichetStore

/// Retention on the emploi profile: a job seeker gone (deregistered) is archived after 90 days
/// and erased after a year; registered and suspended files are never touched.
@Suite struct EmploiRetentionTests {
    static let day: TimeInterval = 86_400

    /// Every job-seeker file with its status, last change and lifecycle mark.
    static func files(_ world: EmploiWorld) async throws -> [(id: DossierID, status: String, updated: Date, mark: LifecycleMark?)] {
        var ids: [DossierID] = []
        var after: DossierID?
        repeat {
            let page = try await world.store.search(DossierQuery(type: "job-seeker", status: nil, scope: [.any], terms: [], after: after, limit: 500))
            ids += page
            after = page.count == 500 ? page.last : nil
        } while after != nil
        let records = try await world.store.dossiers(ids)
        let marks = try await world.store.lifecycle(ids)
        return records.map { ($0.id, $0.status, $0.updatedAt, marks[$0.id]) }
    }

    @Test("emploi at an injected clock: exactly the files deregistered more than a year ago are erased, and nothing else")
    func exactlyWhatTheProfileSays() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let start = world.clock.now
        world.clock.advance(200 * Self.day)
        // An adviser deregisters one of their registered files on day 200.
        let late = try #require(world.summary.agencyCaseload.first)
        _ = try await world.gate.transition(late, "deregister", try await world.request("adviser1", purpose: "support"))
        // The generator's files left on their deregistration day, years ago for many: a year
        // after it they are erased, 90 days after it archived.
        let before = try await Self.files(world).filter { $0.status == "deregistered" && $0.id != late }
        let now = world.clock.now
        let first = try await world.gate.runRetention(batch: 50)
        let afterFirst = try await Self.files(world)
        let yearGone = Set(before.filter { $0.updated <= now.addingTimeInterval(-365 * Self.day) }.map(\.id))
        let quarterGone = Set(before.filter { $0.updated <= now.addingTimeInterval(-90 * Self.day) }.map(\.id))
        #expect(!yearGone.isEmpty && first.erased == yearGone.count, "\(first.erased) erased, \(yearGone.count) due")
        #expect(Set(afterFirst.filter { $0.mark?.erasedAt != nil }.map(\.id)) == yearGone)
        #expect(Set(afterFirst.filter { $0.mark?.archivedAt != nil || $0.mark?.erasedAt != nil }.map(\.id)) == quarterGone,
                "every file deregistered 90 days ago or more is archived or erased; the one deregistered today is not")

        world.clock.set(start.addingTimeInterval(366 * Self.day))
        let cutoff = world.clock.now.addingTimeInterval(-365 * Self.day)
        let report = try await world.gate.runRetention(batch: 50)
        let files = try await Self.files(world)
        let expected = Set(files.filter { $0.status == "deregistered" && $0.updated <= cutoff }.map(\.id))
        #expect(!expected.isEmpty && report.erased == expected.count - first.erased)
        #expect(Set(files.filter { $0.mark?.erasedAt != nil }.map(\.id)) == expected)
        // The late one is archived (166 days), not erased; registered and suspended files are untouched.
        #expect(files.first { $0.id == late }?.mark?.archivedAt != nil && files.first { $0.id == late }?.mark?.erasedAt == nil)
        #expect(files.filter { $0.status != "deregistered" }.allSatisfy { $0.mark == nil })
        // Erased: the files' and their seekers' keys are gone; the kept ones still open.
        for id in expected.prefix(20) {
            #expect(try await !world.store.hasLiveKey(id.rawValue))
            let seeker = try #require(try await world.store.dossier(id)?.persons.first?.person)
            #expect(try await world.store.persons([seeker])[seeker]?.key == nil || world.summary.sampleSeeker == seeker)
        }
        #expect(try await world.store.hasLiveKey(late.rawValue))
        _ = try await world.gate.checkpoint(at: world.clock.now)
        #expect(try await world.gate.auditor.verify().problem == nil)
    }
}
