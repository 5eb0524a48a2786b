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
    static let generators = ["place05", "emploi"]

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
            try await server.gate.journal.recordSystemEvent(
                "import", reason: "synthetic demo registry: \(summary.dossiers) job-seeker files", persons: [], dossiers: [],
                context: AccessContext(requestID: "demo-import", subject: nil, session: nil, source: nil, purpose: nil, at: Date()))
            try await writeEmploiAccounts(server, summary, deployment)
            return String(format: "generated %d job-seeker files in %.1f s; ", summary.dossiers, Date().timeIntervalSince(started))
        default:
            throw CommandError("no synthetic data generator for profile '\(server.profile.name)' (generators exist for place05 and emploi)")
        }
    }

    func writeEmploiAccounts(_ server: GuichetServer, _ s: EmploiGenerator.Summary, _ d: Deployment) async throws {
        var accounts: [[String: String]] = []
        func add(_ username: String, _ role: String, organisation: OrganisationID? = nil, person: PersonID? = nil, territory: String? = nil,
                 caseload: [DossierID] = [], note: String) async throws {
            let password = generatedPassword()
            let id = try await server.auth.createAccount(username: username, password: password, role: role, organisation: organisation,
                                                         person: person, territory: territory, createdBy: nil)
            if !caseload.isEmpty { try await server.store.assign(caseload, to: id) }
            let listener = server.profile.roles[role]?.kind.usesAdminListener == true ? "admin" : "public"
            accounts.append(["username": username, "password": password, "role": role, "listener": listener, "note": note])
        }
        try await add("admin.demo", "admin", organisation: s.operatorOrg, note: "signs in on the admin listener only: accounts, versions, restore")
        try await add("security.demo", "security", organisation: s.operatorOrg,
                      note: "security officer, on the admin listener only: break-glass review, policy explain")
        try await add("adviser1.demo", "adviser", organisation: s.agencies[0].id, territory: s.agencies[0].territory, caseload: s.agencyCaseload,
                      note: "agency adviser: the agency's files; send 'Guichet-Purpose: support'; may break the glass on another agency's file")
        try await add("adviser2.demo", "adviser", organisation: s.agencies[1].id, territory: s.agencies[1].territory,
                      note: "adviser of another agency; send 'Guichet-Purpose: support'")
        for (i, network) in s.partnerNetworks.prefix(2).enumerated() {
            try await add("partner\(i + 1).demo", "partner-adviser", organisation: network.id, territory: network.territory,
                          caseload: s.partnerCaseloads[i],
                          note: "partner adviser (disabled job seekers): only their own caseload (\(s.partnerCaseloads[i].count) files), minimal view; send 'Guichet-Purpose: disability-support'")
        }
        try await add("seeker.demo", "job-seeker", person: s.sampleSeeker, note: "a job seeker: sees only their own file")
        let data = try JSONSerialization.data(withJSONObject: ["accounts": accounts], options: [.prettyPrinted, .sortedKeys])
        let path = d.folder.appendingPathComponent("demo-accounts.json").path
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CommandError("cannot write \(path)")
        }
    }
}
