public import GuichetCore
public import GuichetStore
public import GuichetLedger
public import Foundation
import GuichetMerkle

/// A draft of the notification to the supervisory authority (GDPR art. 33(3)): the nature
/// of the breach, the categories and approximate numbers of persons and records, the contact
/// point, the likely consequences, the measures; with the clock since detection against the
/// 72 hours of art. 33(1), and a timeline from the ledger. A draft: the controller reviews it.
public struct RegulatorReport: Sendable {
    public let incident: BreachIncidentRecord
    public let scope: BreachScope
    public let profile: Profile
    /// The contact point (the deployment's `securityContact`, or a DPO address).
    public let contact: String
    public let now: Date

    public init(incident: BreachIncidentRecord, scope: BreachScope, profile: Profile, contact: String, now: Date) {
        self.incident = incident; self.scope = scope; self.profile = profile; self.contact = contact; self.now = now
    }

    /// Hours since detection (art. 33(1): notify within 72 hours where feasible).
    public var hoursSinceDetection: Double { now.timeIntervalSince(incident.detectedAt) / 3600 }

    /// The 72-hour deadline.
    public var deadline: Date { incident.detectedAt.addingTimeInterval(72 * 3600) }

    /// The person roles concerned (`child`, `parent`), with how many persons each.
    public var personCategories: [(role: String, persons: Int)] {
        var counts: [String: Int] = [:]
        for p in scope.persons {
            for role in Set(p.fields.compactMap { $0.split(separator: ".").first.map(String.init) }) { counts[role, default: 0] += 1 }
        }
        return counts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The data categories exposed: classification → field paths.
    public var dataCategories: [(classification: String, fields: [String])] {
        var out: [String: Set<String>] = [:]
        for path in scope.fieldCounts.keys {
            out[Labels.classification(path, profile: profile)?.rawValue ?? "unclassified", default: []].insert(path)
        }
        return out.sorted { $0.key < $1.key }.map { ($0.key, $0.value.sorted()) }
    }

    /// The report's texts, by language then key (`texts/report.json`), `{name}` for values.
    static let texts: [String: [String: String]] = {
        // The file is part of the module's resources; a build without it is broken.
        guard let url = Bundle.module.url(forResource: "report", withExtension: "json", subdirectory: "texts"),
              let data = try? Data(contentsOf: url),
              let texts = try? JSONDecoder().decode([String: [String: String]].self, from: data) else {
            preconditionFailure("GuichetBreach's texts/report.json is missing or malformed")
        }
        return texts
    }()

    /// The languages the report is written in.
    public static let languages = ["en", "fr"]

    /// One text in `language` with its values put in.
    static func text(_ key: String, _ language: String, _ values: [String: String] = [:]) -> String {
        // Every key exists in both languages (RegulatorReportTests checks).
        let template = texts[language]?[key] ?? texts["en"]?[key] ?? key
        // One pass, so that a value holding braces (an incident's title) is never read as a name.
        var out = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            out += values[name] ?? String(rest[open...close])
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// Hours with one decimal, as the language writes them.
    static func hours(_ h: Double, _ language: String) -> String {
        let s = String(format: "%.1f", h)
        return language == "fr" ? s.replacingOccurrences(of: ".", with: ",") : s
    }

    /// The report as Markdown, in English or French (the regulator's language: the CLI and the
    /// pages default to the profile's).
    /// - Precondition: `language` is one of ``languages``.
    public func markdown(language: String = "en") -> String {
        precondition(Self.languages.contains(language), "the report is written in \(Self.languages)")
        let t = ScopeFormat.time
        let l = language
        func say(_ key: String, _ values: [String: String] = [:]) -> String { Self.text(key, l, values) }
        var md: [String] = []
        md.append(say("title"))
        md.append("")
        md.append(say("registry", ["title": profile.title[l] ?? profile.title["en"] ?? profile.name, "name": profile.name,
                                   "id": incident.id, "incidentTitle": incident.title]))
        md.append(say("status", ["status": say("status.\(incident.status)"), "now": t(now)]))
        md.append("")
        md.append(say("clock"))
        md.append("")
        md.append(say("detected", ["at": t(incident.detectedAt)]))
        md.append(say("deadline", ["at": t(deadline)]))
        let hours = hoursSinceDetection
        if let notified = incident.notifiedAuthorityAt {
            md.append(say("notified", ["at": t(notified), "hours": Self.hours(notified.timeIntervalSince(incident.detectedAt) / 3600, l)]))
        } else if hours > 72 {
            md.append(say("late", ["hours": Self.hours(hours, l)]))
        } else {
            md.append(say("left", ["hours": Self.hours(hours, l), "left": Self.hours(72 - hours, l)]))
        }
        md.append("")
        md.append(say("nature"))
        md.append("")
        md.append(incident.nature)
        md.append("")
        md.append(say("facts", ["facts": incident.facts]))
        md.append("")
        md.append(say("concerned"))
        md.append("")
        // A listing's summary returns a file's public fields only: that file is no record
        // concerned, and that listing no read of personal data (an incident audit: 427 records
        // were counted for 85 files opened).
        let personal = { (path: String) in Labels.classification(path, profile: profile) != .public }
        let records = Set(scope.persons.flatMap(\.dossiers))
            .union(scope.dossiers.filter { $0.fields.contains(where: personal) }.map(\.dossier)).count
        let reads = scope.events.filter { $0.allowed && $0.disclosed && $0.fields.contains(where: personal) }.count
        // Each count with its noun, singular for one (an operator's audit: "1 personnes").
        func counted(_ n: Int, _ noun: String) -> String { "\(n) " + say(n == 1 ? noun + ".one" : noun + ".many") }
        md.append(say("computed", ["persons": counted(scope.persons.count, "persons"), "reads": counted(reads, "reads"),
                                   "dossiers": counted(records, "dossiers")]))
        if scope.approximate { md.append(say("approximate")) }
        if !scope.decoyPersons.isEmpty || !scope.decoyDossiers.isEmpty {
            md.append(say("decoys", ["persons": "\(scope.decoyPersons.count)", "dossiers": "\(scope.decoyDossiers.count)"]))
        }
        let exports = scope.events.filter { $0.allowed && $0.action == "partner-export" }
        if !exports.isEmpty {
            md.append(say("exports", ["exports": "\(exports.count)", "persons": "\(Set(exports.flatMap(\.persons)).subtracting(scope.decoyPersons).count)"]))
        }
        if !scope.claimCodes.isEmpty {
            md.append(say("claimCodes", ["codes": "\(scope.claimCodes.count)", "claimed": "\(scope.claimCodes.filter { $0.claimedBy != nil }.count)",
                                         "dossiers": "\(Set(scope.claimCodes.flatMap(\.dossiers)).count)"]))
        }
        md.append("")
        md.append(say("personsTable"))
        md.append("|---|---|")
        for (role, n) in personCategories { md.append("| \(Labels.personCategory(role, language: l, profile: profile)) | \(n) |") }
        md.append("")
        md.append(say("dataTable"))
        md.append("|---|---|---|")
        for (classification, fields) in dataCategories {
            // Fields by their labels, in the report's language (an incident audit read `seeker.email`).
            md.append("| \(say("class.\(classification)")) | \(fields.map { Labels.field($0, language: l, profile: profile) }.joined(separator: ", ")) | \(fields.map { "\(scope.fieldCounts[$0] ?? 0)" }.joined(separator: ", ")) |")
        }
        md.append("")
        md.append(say("attempts", ["attempts": "\(scope.attempts.count)", "writes": "\(scope.writes.count)"]))
        md.append("")
        md.append(say("contact"))
        md.append("")
        md.append(contact.trimmingCharacters(in: .whitespaces).isEmpty ? say("toComplete") + " (securityContact, guichet.yaml)" : contact)
        md.append("")
        md.append(say("consequences"))
        md.append("")
        md.append(incident.consequences.isEmpty ? say("toComplete") : incident.consequences)
        md.append("")
        md.append(say("measures"))
        md.append("")
        md.append(incident.remedial.isEmpty ? say("toComplete") : incident.remedial)
        md.append("")
        md.append(say(incident.encryptedAndKeysSafe ? "notifyExempt" : "notifyRequired"))
        md.append("")
        md.append(say("timeline"))
        md.append("")
        md.append(contentsOf: timeline(language: l))
        md.append("")
        md.append(say("evidence"))
        md.append("")
        md.append(say("evidenceText", ["query": BreachRegister.compact(scope.query.json), "size": "\(scope.checkpoint.size)",
                                       "root": scope.checkpoint.rootHash.base64]))
        md.append("")
        md.append("```")
        md.append(scope.checkpoint.note.trimmingCharacters(in: .newlines))
        md.append("```")
        return md.joined(separator: "\n") + "\n"
    }

    /// Matched ledger events by hour (UTC), with the detection and registration times.
    func timeline(language l: String = "en") -> [String] {
        var hours: [Date: (reads: Int, writes: Int, refused: Int)] = [:]
        for e in scope.events {
            let hour = Date(timeIntervalSince1970: (e.at.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
            var h = hours[hour] ?? (0, 0, 0)
            if !e.allowed { h.refused += 1 } else if e.disclosed { h.reads += 1 } else if e.isChange { h.writes += 1 }
            hours[hour] = h
        }
        let t = ScopeFormat.time
        func say(_ key: String, _ values: [String: String]) -> String { Self.text(key, l, values) }
        var lines: [(Date, String)] = hours.map {
            ($0.key, say("hourLine", ["at": t($0.key), "reads": "\($0.value.reads)", "writes": "\($0.value.writes)", "refused": "\($0.value.refused)"]))
        }
        if let first = scope.events.first { lines.append((first.at, say("firstAccess", ["at": t(first.at), "action": first.action]))) }
        if let last = scope.events.last { lines.append((last.at, say("lastAccess", ["at": t(last.at), "action": last.action]))) }
        lines.append((incident.detectedAt, say("detectedLine", ["at": t(incident.detectedAt)])))
        lines.append((incident.createdAt, say("registeredLine", ["at": t(incident.createdAt)])))
        if let n = incident.notifiedAuthorityAt { lines.append((n, say("notifiedLine", ["at": t(n)]))) }
        return lines.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
