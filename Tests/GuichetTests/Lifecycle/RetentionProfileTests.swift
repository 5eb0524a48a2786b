import Foundation
import Testing
import GuichetCore
import GuichetProfile

/// Retention is declared in the profile (C13): the reference profiles declare it, and a bad
/// rule is refused at load time with its file, line, key and what is wrong.
@Suite struct RetentionProfileTests {
    @Test("place05 archives closed and withdrawn applications, then erases them after 2 years and 1 year")
    func place05Declares() throws {
        let r = try Repo.profile().retention
        let closed = try #require(r.rule(type: "application", state: "closed"))
        #expect(closed.archiveAfter == 90 * 86_400 && closed.eraseAfter == 2 * 365 * 86_400)
        let withdrawn = try #require(r.rule(type: "application", state: "withdrawn"))
        #expect(withdrawn.archiveAfter == 30 * 86_400 && withdrawn.eraseAfter == 365 * 86_400)
        #expect(r.rule(type: "application", state: "waiting") == nil && r.rules.count == 2)
        #expect(r.archive == ArchiveAccess(roles: ["agent"], purposes: ["family-request"], approvers: ["security"], minutes: 60))
        #expect(r.erasureOfficers == ["security"])
    }

    @Test("emploi erases a job seeker gone (deregistered) after a year, and the other profiles load their rules")
    func otherProfilesDeclare() throws {
        let emploi = try Repo.profile(named: "emploi").retention
        #expect(emploi.rule(type: "job-seeker", state: "deregistered")?.eraseAfter == TimeInterval(365 * 86_400))
        #expect(emploi.rules.count == 1 && emploi.archive?.purposes == ["compensation"])
        #expect(try Repo.profile(named: "jeunes").retention.rule(type: "youth-file", state: "closed")?.eraseAfter == 3 * 365 * 86_400)
        #expect(try Repo.profile(named: "secu").retention.rule(type: "insured-account", state: "closed")?.eraseAfter == 10 * 365 * 86_400)
    }

    static let valid = try! String(contentsOfFile: Repo.place05 + "/profile.yaml", encoding: .utf8)

    struct Broken: Sendable, CustomStringConvertible {
        let name: String
        let replace: String
        let with: String
        let key: String
        let message: String
        var description: String { name }
    }

    static let broken: [Broken] = [
        Broken(name: "unknown dossier type", replace: "    application:\n      closed:", with: "    demande:\n      closed:",
               key: "retention.dossiers.demande", message: "unknown dossier type 'demande'"),
        Broken(name: "unknown state", replace: "      withdrawn: {archive: 30d", with: "      cancelled: {archive: 30d",
               key: "retention.dossiers.application.cancelled", message: "'cancelled' is not a state of 'application'"),
        Broken(name: "the initial state", replace: "      withdrawn: {archive: 30d", with: "      waiting: {archive: 30d",
               key: "retention.dossiers.application.waiting", message: "is the initial state"),
        Broken(name: "archive after erasure", replace: "{archive: 90d, erase: 2y}", with: "{archive: 3y, erase: 2y}",
               key: "retention.dossiers.application.closed.archive", message: "archiving must come before erasure"),
        Broken(name: "duration without a unit", replace: "{archive: 90d, erase: 2y}", with: "{archive: 90d, erase: 730}",
               key: "retention.dossiers.application.closed.erase", message: "expected a duration such as 30d"),
        Broken(name: "no erasure age", replace: "{archive: 90d, erase: 2y}", with: "{archive: 90d}",
               key: "retention.dossiers.application.closed", message: "missing required key 'erase'"),
        Broken(name: "archiving without archive readers",
               replace: "  archive: {roles: [agent], purposes: [family-request], approvers: [security], minutes: 60}\n", with: "",
               key: "retention", message: "declare who may read the archive"),
        Broken(name: "archive purpose unknown", replace: "purposes: [family-request], approvers", with: "purposes: [curiosity], approvers",
               key: "retention.archive.purposes", message: "unknown purpose 'curiosity'"),
        Broken(name: "a partner reading archives", replace: "archive: {roles: [agent]", with: "archive: {roles: [daycare]",
               key: "retention.archive.roles", message: "'daycare' is not a staff role"),
        Broken(name: "a citizen recording erasures", replace: "erasure: {roles: [security]}", with: "erasure: {roles: [parent]}",
               key: "retention.erasure.roles", message: "cannot record erasure requests"),
        Broken(name: "misspelt key", replace: "{archive: 90d, erase: 2y}", with: "{archive: 90d, erase: 2y, purge: 3y}",
               key: "retention.dossiers.application.closed.purge", message: "unknown key"),
        // Fields kept for a legal duty, and age bands for statistics.
        Broken(name: "a kept field that does not exist", replace: "fields: [desiredStart, offeredBy, offeredOn, child.birthDate]",
               with: "fields: [desiredStart, child.shoeSize]", key: "retention.kept.dossiers.application.fields",
               message: "'child.shoeSize' is not a field of 'application'"),
        Broken(name: "a partner reading kept fields", replace: "    roles: [agent]\n    purposes: [list-management]",
               with: "    roles: [daycare]\n    purposes: [list-management]", key: "retention.kept.roles", message: "cannot read kept fields"),
        Broken(name: "kept for no time", replace: "        years: 6\n", with: "        years: 0\n",
               key: "retention.kept.dossiers.application.years", message: "kept 1 to 100 years"),
        Broken(name: "age bands with a gap", replace: "bands: [0-2, 3-5, 6+]", with: "bands: [0-2, 4-5, 6+]",
               key: "statistics.age.bands", message: "must start at 3"),
        Broken(name: "an open age band before the last", replace: "bands: [0-2, 3-5, 6+]", with: "bands: [0-2, 3+, 6+]",
               key: "statistics.age.bands", message: "comes last"),
    ]

    @Test("place05 and emploi keep fields for a legal duty, with their ground, term and readers, and count by age")
    func keptAndAgeDeclared() throws {
        let place05 = try Repo.profile()
        let kept = try #require(place05.retention.kept["application"])
        #expect(kept.fields == ["desiredStart", "offeredBy", "offeredOn", "child.birthDate"] && kept.keptFor == 6 * 365 * 86_400)
        #expect(kept.ground["fr"]?.isEmpty == false && kept.ground["en"]?.isEmpty == false)
        #expect(place05.retention.keptAccess == KeptAccess(roles: ["agent"], purposes: ["list-management"]))
        #expect(place05.statistics.age?.labels == ["0-2", "3-5", "6+", "unknown"] && place05.statistics.age?.person == "child")
        let emploi = try Repo.profile(named: "emploi")
        #expect(emploi.retention.kept["job-seeker"]?.fields.contains("seeker.registryId") == true)
        #expect(emploi.retention.kept["job-seeker"].map { Int($0.keptFor) } == 10 * 365 * 86_400)
        #expect(emploi.statistics.age?.bands.map(\.label) == ["0-24", "25-34", "35-49", "50+"])
    }

    @Test("a bad retention rule is refused with its file, line, key and what is wrong", arguments: broken)
    func brokenRuleIsRefused(_ b: Broken) throws {
        #expect(Self.valid.contains(b.replace), "fixture must apply")
        let text = Self.valid.replacingOccurrences(of: b.replace, with: b.with)
        #expect { try ProfileLoader.parse(yaml: text, file: "broken.yaml") } throws: { error in
            guard let e = error as? ProfileError else { return false }
            return e.key == b.key && e.message.contains(b.message) && e.file == "broken.yaml" && e.line > 0
        }
    }
}
