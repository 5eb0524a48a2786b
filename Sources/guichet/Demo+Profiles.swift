import Foundation
import GuichetCore
import GuichetGate
import GuichetAuth
import GuichetServer
import GuichetVault
import GuichetLedger
import GuichetStore
import GuichetSynth

/// The demo's generators beyond place05, chosen by the profile's name.
extension Demo {
    /// Profiles that have a synthetic data generator.
    static let generators = ["place05", "emploi", "jeunes", "secu"]

    /// Generates the registry of a profile other than place05, creates its demo accounts,
    /// and says what was made.
    func generateOther(_ server: GuichetServer, keys: any KeyProvider, deployment: Deployment, started: Date) async throws -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        let today = LocalDate(year: c.year!, month: c.month!, day: c.day!)!  // a calendar date is valid
        switch server.profile.name {
        case "emploi":
            let size = self.size ?? 100_000
            note("Generating \(size) synthetic job-seeker files in \(deployment.folder.path) ...")
            let summary = try await EmploiGenerator(profile: server.profile, keys: keys, size: size, today: today)
                .generate(into: server.store) { done in note("  \(done) / \(size)") }
            try await journalImport(server, "synthetic demo registry: \(summary.dossiers) job-seeker files")
            try await writeEmploiAccounts(server, summary, deployment)
            return String(format: "generated %d job-seeker files in %.1f s; ", summary.dossiers, Date().timeIntervalSince(started))
        case "jeunes":
            let size = self.size ?? 100_000
            note("Generating \(size) synthetic youth-support files in \(deployment.folder.path) ...")
            let summary = try await JeunesGenerator(profile: server.profile, keys: keys, size: size, today: today)
                .generate(into: server.store) { done in note("  \(done) / \(size)") }
            try await journalImport(server, "synthetic demo registry: \(summary.dossiers) youth-support files")
            var accounts = DemoAccounts()
            try await accounts.add(server, "admin.demo", "admin", organisation: summary.operatorOrg, note: "admin listener only")
            try await accounts.add(server, "security.demo", "security", organisation: summary.operatorOrg, note: "security officer, admin listener only: break-glass review, explain")
            for (i, office) in summary.offices.prefix(2).enumerated() {
                try await accounts.add(server, "adviser\(i + 1).demo", "adviser", organisation: office.id, territory: office.territory, caseload: summary.caseloads[i],
                                       note: "adviser of a local office: their own caseload (\(summary.caseloads[i].count) files); send 'Guichet-Purpose: support'")
            }
            try await accounts.add(server, "manager.demo", "office-manager", organisation: summary.offices[0].id, territory: summary.offices[0].territory,
                                   note: "office manager: the office's files, minimal view; send 'Guichet-Purpose: supervision'")
            try await accounts.add(server, "young.demo", "young", person: summary.sampleYoung, note: "a young person: their own file")
            try accounts.write(deployment)
            return String(format: "generated %d youth-support files in %.1f s; ", summary.dossiers, Date().timeIntervalSince(started))
        case "secu":
            let size = self.size ?? 100_000
            note("Generating \(size) synthetic insured accounts in \(deployment.folder.path) ...")
            let summary = try await SecuGenerator(profile: server.profile, keys: keys, size: size, today: today)
                .generate(into: server.store) { done in note("  \(done) / \(size)") }
            try await journalImport(server, "synthetic demo registry: \(summary.dossiers) insured accounts, \(summary.persons) persons")
            var accounts = DemoAccounts()
            try await accounts.add(server, "admin.demo", "admin", organisation: summary.operatorOrg, note: "admin listener only")
            try await accounts.add(server, "security.demo", "security", organisation: summary.operatorOrg, note: "security officer, admin listener only: break-glass review, explain")
            try await accounts.add(server, "agent.demo", "agent", organisation: summary.funds[0].id, territory: summary.funds[0].territory,
                                   note: "fund agent: the fund's accounts without bank details; send 'Guichet-Purpose: claims'")
            try await accounts.add(server, "payment.demo", "payment-agent", organisation: summary.funds[0].id, territory: summary.funds[0].territory,
                                   note: "payment agent: bank accounts of the fund; send 'Guichet-Purpose: payment'")
            try await accounts.add(server, "employer.demo", "employer", organisation: summary.employers[0].id, territory: summary.employers[0].territory,
                                   note: "employer: its employees' identity and salary declarations only; send 'Guichet-Purpose: salary-declaration'")
            try await accounts.add(server, "insured.demo", "insured", person: summary.sampleInsured, note: "an insured person: their own account")
            try accounts.write(deployment)
            return String(format: "generated %d insured accounts and %d persons in %.1f s; ", summary.dossiers, summary.persons, Date().timeIntervalSince(started))
        default:
            throw CommandError("no synthetic data generator for profile '\(server.profile.name)' (generators exist for \(Self.generators.joined(separator: ", ")))")
        }
    }

    func writeEmploiAccounts(_ server: GuichetServer, _ s: EmploiGenerator.Summary, _ d: Deployment) async throws {
        var accounts = DemoAccounts()
        try await accounts.add(server, "admin.demo", "admin", organisation: s.operatorOrg, note: "signs in on the admin listener only: accounts, versions, restore")
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
        try accounts.write(d)
    }

    func journalImport(_ server: GuichetServer, _ reason: String) async throws {
        try await server.gate.recordSystemEvent("import", reason: reason, requestID: "demo-import")
    }

    /// Demo accounts being made, written at the end to `demo-accounts.json` (owner only).
    struct DemoAccounts {
        var list: [[String: String]] = []

        mutating func add(_ server: GuichetServer, _ username: String, _ role: String, organisation: OrganisationID? = nil, person: PersonID? = nil,
                          territory: String? = nil, caseload: [DossierID] = [], note: String) async throws {
            let password = generatedPassword()
            let id = try await server.auth.createAccount(username: username, password: password, role: role, organisation: organisation,
                                                         person: person, territory: territory, createdBy: nil)
            if !caseload.isEmpty { try await server.store.assign(caseload, to: id) }
            let kind = server.profile.roles[role]?.kind
            var entry = ["username": username, "password": password, "role": role, "listener": kind?.usesAdminListener == true ? "admin" : "public",
                         "note": note]
            // Staff, partners and administrators enrol their first second factor with it.
            if kind != .citizen { entry["activationCode"] = try await server.auth.consoleActivation(username: username)?.code }
            list.append(entry)
        }

        func write(_ d: Deployment) throws {
            let data = try JSONSerialization.data(withJSONObject: ["accounts": list], options: [.prettyPrinted, .sortedKeys])
            let path = d.folder.appendingPathComponent("demo-accounts.json").path
            guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw CommandError("cannot write \(path)")
            }
        }
    }
}
