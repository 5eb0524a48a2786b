import ArgumentParser
import Foundation
import GuichetCore
import GuichetServer
import GuichetVault
import GuichetLedger
import GuichetGate
import GuichetAuth
import GuichetStore
import GuichetSynth
import GuichetWatch

/// `guichet demo`: a synthetic childcare waiting list (R1), demo accounts of every role, served.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a synthetic R1 registry (childcare waiting list) with demo accounts, and serve it.",
        discussion: "A data folder that already holds a registry is served as it is, not regenerated.")

    @Option(help: "Data folder.") var data = "guichet-demo"
    @Option(help: "Number of dossiers to generate (default 86000 for place05, 100000 for emploi).") var size: Int?
    @Option(help: "Profile name or path.") var profile = "place05"
    @OptionGroup var listeners: ListenerOptions
    @Flag(help: "Generate, write the accounts file, and exit without serving.") var noServe = false

    func validate() throws {
        if let size, !(1...5_000_000).contains(size) { throw ValidationError("--size must be from 1 to 5000000") }
    }

    func run() async throws {
        let started = Date()
        let deployment = Deployment(data)
        let profilePath = try Deployment.resolveProfile(profile)
        let config = try listeners.resolve(try deployment.readSettings())
        let loaded = try Deployment.loadProfile(profilePath)  // refuse a broken profile before creating anything
        let fresh = !deployment.exists
        if fresh, !Self.generators.contains(loaded.name) {
            throw CommandError("no synthetic data generator for profile '\(loaded.name)' (generators exist for \(Self.generators.joined(separator: " and ")))")
        }
        if fresh { try deployment.create() }
        let keys = try deployment.keys(listeners.keys, create: fresh)
        if fresh { try deployment.writeSettings(.init(profile: profilePath, securityContact: "mailto:security@example.org")) }
        let server = try await deployment.open(profilePath: profilePath, keys: keys, origin: keys.origin, settings: try deployment.readSettings())
        var generated = ""
        if fresh, server.profile.name != "place05" {
            generated = try await generateOther(server, keys: keys, deployment: deployment, started: started)
        } else if fresh {
            let size = self.size ?? 86_000
            note("Generating \(size) synthetic dossiers in \(deployment.folder.path) ...")
            let today = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
            let generator = Place05Generator(profile: server.profile, keys: keys, size: size,
                                             today: LocalDate(year: today.year!, month: today.month!, day: today.day!)!)
            let summary = try await generator.generate(into: server.store, honeytokens: server.profile.watch.honeytokens) { done in
                note("  \(done) / \(size)")
            }
            try await server.gate.watch?.reloadMarks()
            try await server.gate.recordSystemEvent(
                "import", reason: "synthetic demo registry: \(summary.dossiers) dossiers, \(summary.persons) persons", requestID: "demo-import")
            try await writeAccounts(server, summary, deployment)
            generated = String(format: "generated %d dossiers and %d persons in %.1f s; ", summary.dossiers, summary.persons, Date().timeIntervalSince(started))
        }
        if noServe {
            say("\(generated)accounts in \(deployment.folder.appendingPathComponent("demo-accounts.json").path)")
            return
        }
        let t0 = started
        let data = deployment.folder.path
        let generatedNote = generated
        try await server.run(config) { port, adminPort in
            say("""
            Guichet demo (\(server.profile.title["en"] ?? server.profile.name))
              data folder:  \(data)
              accounts:     \(data)/demo-accounts.json  (user names, passwords, activation codes, roles)
              public API:   http://\(config.publicHost):\(port)   try: curl http://\(config.publicHost):\(port)/v1/statistics
              OpenAPI:      http://\(config.publicHost):\(port)/openapi.json
              citizens:     http://localhost:\(port)/   (a citizen account from the accounts file sees who looked at their file)
              admin API:    http://\(config.adminHost):\(adminPort)   (loopback only)
            """)
            say(String(format: "Ready: %@started in %.1f s. Ctrl-C stops.", generatedNote, Date().timeIntervalSince(t0)))
        }
    }

    /// Creates one account per role and writes their credentials, readable by the owner only.
    func writeAccounts(_ server: GuichetServer, _ s: Place05Generator.Summary, _ d: Deployment) async throws {
        var accounts = DemoAccounts()
        try await accounts.add(server, "admin.demo", "admin", organisation: s.operatorOrg, note: "signs in on the admin listener only: accounts, versions, restore")
        try await accounts.add(server, "security.demo", "security", organisation: s.operatorOrg,
                               note: "security officer, on the admin listener only: alerts, break-glass review, breach response")
        try await accounts.add(server, "agent.demo", "agent", organisation: s.operatorOrg, note: "co-operative agent; send 'Guichet-Purpose: list-management'")
        for (i, daycare) in s.busiestDaycares.prefix(2).enumerated() {
            try await accounts.add(server, "daycare\(i + 1).demo", "daycare", organisation: daycare.id, territory: daycare.territory,
                                   note: "staff of a daycare service: sees only the applications that chose it")
        }
        try await accounts.add(server, "parent.demo", "parent", person: s.sampleParent, note: "a parent: sees and manages only their own children's applications")
        try await accounts.add(server, "analyst.demo", "analyst", organisation: s.ministryOrg, note: "ministry analyst: statistics only, no dossier")
        try accounts.write(d)
    }
}
