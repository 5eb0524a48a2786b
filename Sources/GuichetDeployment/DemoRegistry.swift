public import Foundation
public import GuichetCore
import GuichetGate
import GuichetAuth
public import GuichetServer
public import GuichetVault
public import GuichetPostgres
import GuichetStore
public import GuichetSynth
import GuichetWatch

/// The generators fill a PostgreSQL demo registry through the same bulk writes as SQLite's.
extension PostgresStore: SyntheticStorage {}

/// The synthetic registries of `guichet demo`: a profile's generator fills a fresh registry,
/// the import is journalled, and one account per role is made, its credentials written to
/// `demo-accounts.json` (owner only).
public enum DemoRegistry {
    /// Profiles that have a synthetic data generator.
    public static let generators = ["place05", "emploi", "jeunes", "secu"]

    /// The default size of a profile's demo registry (R1: 86,000 applications).
    public static func defaultSize(_ profile: String) -> Int { profile == "place05" ? 86_000 : 100_000 }

    /// What a generation made, in a sentence (`generated N dossiers ... in S s; `).
    public struct Generated: Sendable {
        public let dossiers: Int
        public let summary: String
    }

    /// Fills a fresh registry with `size` synthetic dossiers of its profile, plants the
    /// profile's honeytokens (place05, emploi, jeunes), journals the import and writes the demo accounts.
    /// - Parameter progress: told the count done, now and then.
    /// - Throws: ``DeploymentError`` for a profile without a generator.
    public static func generate(_ server: GuichetServer, keys: any KeyProvider, size: Int, accountsFile: URL, today: LocalDate = .today(),
                                progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Generated {
        let started = Date()
        let profile = server.profile
        // The generators write the store's bulk writes directly, on SQLite or PostgreSQL.
        guard let store = server.store as? any SyntheticStorage else { throw DeploymentError("this store cannot hold a generated demo registry") }
        func seconds() -> Double { Date().timeIntervalSince(started) }
        var accounts = DemoAccounts()
        let sentence: String
        let dossiers: Int
        switch profile.name {
        case "place05":
            let s = try await Place05Generator(profile: profile, keys: keys, size: size, today: today)
                .generate(into: store, honeytokens: profile.watch.honeytokens, progress: progress)
            try await server.gate.watch?.reloadMarks()
            try await journalImport(server, "synthetic demo registry: \(s.dossiers) dossiers, \(s.persons) persons")
            try await accounts.add(server, "admin.demo", "admin", organisation: s.operatorOrg, note: "signs in on the admin listener only: accounts, versions, restore")
            try await accounts.add(server, "admin2.demo", "admin", organisation: s.operatorOrg,
                                   note: "a second administrator, admin listener only: approves what admin.demo asks for (accounts, roles, caseloads: two persons)")
            try await accounts.add(server, "security.demo", "security", organisation: s.operatorOrg,
                                   note: "security officer, on the admin listener only: alerts, break-glass review, breach response")
            try await accounts.add(server, "agent.demo", "agent", organisation: s.operatorOrg, note: "co-operative agent; send 'Guichet-Purpose: list-management'")
            for (i, daycare) in s.busiestDaycares.prefix(2).enumerated() {
                try await accounts.add(server, "daycare\(i + 1).demo", "daycare", organisation: daycare.id, territory: daycare.territory,
                                       note: "staff of a daycare service: sees only the applications that chose it")
            }
            try await accounts.add(server, "parent.demo", "parent", person: s.sampleParent, note: "a parent: sees and manages only their own children's applications")
            try await accounts.add(server, "analyst.demo", "analyst", organisation: s.ministryOrg, note: "ministry analyst: statistics only, no dossier")
            dossiers = s.dossiers
            sentence = String(format: "generated %d dossiers and %d persons in %.1f s; ", s.dossiers, s.persons, seconds())
        case "emploi":
            let s = try await EmploiGenerator(profile: profile, keys: keys, size: size, today: today)
                .generate(into: store, honeytokens: profile.watch.honeytokens, progress: progress)
            try await server.gate.watch?.reloadMarks()
            try await journalImport(server, "synthetic demo registry: \(s.dossiers) job-seeker files")
            try await accounts.add(server, "admin.demo", "admin", organisation: s.operatorOrg, note: "signs in on the admin listener only: accounts, versions, restore")
            try await accounts.add(server, "admin2.demo", "admin", organisation: s.operatorOrg,
                                   note: "a second administrator, admin listener only: approves what admin.demo asks for (accounts, roles, caseloads: two persons)")
            try await accounts.add(server, "security.demo", "security", organisation: s.operatorOrg,
                                   note: "security officer, on the admin listener only: break-glass review, policy explain")
            try await accounts.add(server, "adviser1.demo", "adviser", organisation: s.agencies[0].id, territory: s.agencies[0].territory, caseload: s.agencyCaseload,
                                   note: "agency adviser: the agency's files; send 'Guichet-Purpose: support'; may break the glass on another agency's file")
            try await accounts.add(server, "adviser2.demo", "adviser", organisation: s.agencies[1].id, territory: s.agencies[1].territory,
                                   note: "adviser of another agency; send 'Guichet-Purpose: support'")
            for (i, network) in s.partnerNetworks.prefix(2).enumerated() {
                try await accounts.add(server, "partner\(i + 1).demo", "partner-adviser", organisation: network.id, territory: network.territory,
                                       caseload: s.partnerCaseloads[i],
                                       note: "partner adviser (disabled job seekers): only their own caseload (\(s.partnerCaseloads[i].count) files), minimal view; send 'Guichet-Purpose: disability-support'")
            }
            try await accounts.add(server, "seeker.demo", "job-seeker", person: s.sampleSeeker, note: "a job seeker: sees only their own file")
            dossiers = s.dossiers
            sentence = String(format: "generated %d job-seeker files in %.1f s; ", s.dossiers, seconds())
        case "jeunes":
            let s = try await JeunesGenerator(profile: profile, keys: keys, size: size, today: today)
                .generate(into: store, honeytokens: profile.watch.honeytokens, progress: progress)
            try await server.gate.watch?.reloadMarks()
            try await journalImport(server, "synthetic demo registry: \(s.dossiers) youth-support files")
            try await accounts.add(server, "admin.demo", "admin", organisation: s.operatorOrg, note: "admin listener only")
            try await accounts.add(server, "admin2.demo", "admin", organisation: s.operatorOrg,
                                   note: "a second administrator, admin listener only: approves what admin.demo asks for (accounts, roles, caseloads: two persons)")
            try await accounts.add(server, "security.demo", "security", organisation: s.operatorOrg, note: "security officer, admin listener only: break-glass review, explain")
            for (i, office) in s.offices.prefix(2).enumerated() {
                try await accounts.add(server, "adviser\(i + 1).demo", "adviser", organisation: office.id, territory: office.territory, caseload: s.caseloads[i],
                                       note: "adviser of a local office: their own caseload (\(s.caseloads[i].count) files); send 'Guichet-Purpose: support'")
            }
            try await accounts.add(server, "manager.demo", "office-manager", organisation: s.offices[0].id, territory: s.offices[0].territory,
                                   note: "office manager: the office's files, minimal view; send 'Guichet-Purpose: supervision'")
            try await accounts.add(server, "young.demo", "young", person: s.sampleYoung, note: "a young person: their own file")
            dossiers = s.dossiers
            sentence = String(format: "generated %d youth-support files in %.1f s; ", s.dossiers, seconds())
        case "secu":
            let s = try await SecuGenerator(profile: profile, keys: keys, size: size, today: today).generate(into: store, progress: progress)
            try await journalImport(server, "synthetic demo registry: \(s.dossiers) insured accounts, \(s.persons) persons")
            try await accounts.add(server, "admin.demo", "admin", organisation: s.operatorOrg, note: "admin listener only")
            try await accounts.add(server, "admin2.demo", "admin", organisation: s.operatorOrg,
                                   note: "a second administrator, admin listener only: approves what admin.demo asks for (accounts, roles, caseloads: two persons)")
            try await accounts.add(server, "security.demo", "security", organisation: s.operatorOrg, note: "security officer, admin listener only: break-glass review, explain")
            try await accounts.add(server, "agent.demo", "agent", organisation: s.funds[0].id, territory: s.funds[0].territory,
                                   note: "fund agent: the fund's accounts without bank details; send 'Guichet-Purpose: claims'")
            try await accounts.add(server, "payment.demo", "payment-agent", organisation: s.funds[0].id, territory: s.funds[0].territory,
                                   note: "payment agent: bank accounts of the fund; send 'Guichet-Purpose: payment'")
            try await accounts.add(server, "employer.demo", "employer", organisation: s.employers[0].id, territory: s.employers[0].territory,
                                   note: "employer: its employees' identity and salary declarations only; send 'Guichet-Purpose: salary-declaration'")
            try await accounts.add(server, "insured.demo", "insured", person: s.sampleInsured, note: "an insured person: their own account")
            dossiers = s.dossiers
            sentence = String(format: "generated %d insured accounts and %d persons in %.1f s; ", s.dossiers, s.persons, seconds())
        default:
            throw DeploymentError("no synthetic data generator for profile '\(profile.name)' (generators exist for \(generators.joined(separator: ", ")))")
        }
        try accounts.write(to: accountsFile)
        return Generated(dossiers: dossiers, summary: sentence)
    }

    static func journalImport(_ server: GuichetServer, _ reason: String) async throws {
        try await server.gate.recordSystemEvent("import", reason: reason, requestID: "demo-import")
    }

    /// Demo accounts being made, written at the end to `demo-accounts.json` (owner only).
    struct DemoAccounts {
        var list: [[String: String]] = []

        mutating func add(_ server: GuichetServer, _ username: String, _ role: String, organisation: OrganisationID? = nil, person: PersonID? = nil,
                          territory: String? = nil, caseload: [DossierID] = [], note: String) async throws {
            let password = Deployment.generatedPassword()
            let id = try await server.auth.createAccount(username: username, password: password, role: role, organisation: organisation,
                                                         person: person, territory: territory, createdBy: nil)
            if !caseload.isEmpty { _ = try await (server.store as? any SyntheticStorage)?.assign(caseload, to: id) }
            let kind = server.profile.roles[role]?.kind
            var entry = ["username": username, "password": password, "role": role, "listener": kind?.usesAdminListener == true ? "admin" : "public",
                         "note": note]
            // Staff, partners and administrators enrol their first second factor with it.
            if kind != .citizen { entry["activationCode"] = try await server.auth.consoleActivation(username: username)?.code }
            list.append(entry)
        }

        func write(to file: URL) throws {
            let data = try JSONSerialization.data(withJSONObject: ["accounts": list], options: [.prettyPrinted, .sortedKeys])
            guard FileManager.default.createFile(atPath: file.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw DeploymentError("cannot write \(file.path)")
            }
        }
    }
}

extension LocalDate {
    /// Today's date in UTC.
    public static func today() -> LocalDate {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        return LocalDate(year: c.year!, month: c.month!, day: c.day!)!  // a calendar date is valid
    }
}
