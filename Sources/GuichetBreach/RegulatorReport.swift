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

    /// The report as Markdown.
    public func markdown() -> String {
        let t = ScopeFormat.time
        var md: [String] = []
        md.append("# Personal data breach: notification draft (GDPR art. 33)")
        md.append("")
        md.append("Registry: \(profile.title["en"] ?? profile.name) (`\(profile.name)`). Incident `\(incident.id)`: \(incident.title).")
        md.append("Status: \(incident.status). Draft generated \(t(now)).")
        md.append("")
        md.append("## Clock (art. 33(1))")
        md.append("")
        md.append("- Detected: \(t(incident.detectedAt))")
        md.append("- 72-hour deadline: \(t(deadline))")
        let hours = hoursSinceDetection
        if let notified = incident.notifiedAuthorityAt {
            md.append("- Authority notified: \(t(notified)) (\(String(format: "%.1f", notified.timeIntervalSince(incident.detectedAt) / 3600)) h after detection)")
        } else if hours > 72 {
            md.append("- **\(String(format: "%.1f", hours)) h since detection: the 72-hour deadline has passed.** Art. 33(1) requires the reasons for the delay.")
        } else {
            md.append("- \(String(format: "%.1f", hours)) h since detection; \(String(format: "%.1f", 72 - hours)) h left.")
        }
        md.append("")
        md.append("## Nature of the breach (art. 33(3)(a))")
        md.append("")
        md.append(incident.nature)
        md.append("")
        md.append("Facts: \(incident.facts)")
        md.append("")
        md.append("## Persons and records concerned (art. 33(3)(a))")
        md.append("")
        md.append("Computed from the access ledger, not estimated: \(scope.persons.count) persons whose fields were returned by \(scope.events.filter { $0.allowed && $0.disclosed }.count) allowed reads, in \(Set(scope.persons.flatMap(\.dossiers)).union(scope.dossiers.map(\.dossier)).count) dossiers (records).")
        if scope.approximate { md.append("Some older entries did not say which fields were whose; for those, every field was counted for every person named (an over-estimate).") }
        if !scope.decoyPersons.isEmpty || !scope.decoyDossiers.isEmpty {
            md.append("The same accesses also reached \(scope.decoyPersons.count) honeytoken persons and \(scope.decoyDossiers.count) honeytoken dossiers: records planted to detect misuse, which no legitimate work reaches. They are nobody, are left out of every number here, and show that the access was not ordinary work.")
        }
        md.append("")
        md.append("| category of persons | persons |")
        md.append("|---|---|")
        for (role, n) in personCategories { md.append("| \(role) | \(n) |") }
        md.append("")
        md.append("| category of data | fields | persons or dossiers |")
        md.append("|---|---|---|")
        for (classification, fields) in dataCategories {
            md.append("| \(classification) | \(fields.map { "`\($0)`" }.joined(separator: ", ")) | \(fields.map { "\(scope.fieldCounts[$0] ?? 0)" }.joined(separator: ", ")) |")
        }
        md.append("")
        md.append("Refused attempts in the same scope (no data returned): \(scope.attempts.count). Allowed changes (integrity): \(scope.writes.count).")
        md.append("")
        md.append("## Contact point (art. 33(3)(b))")
        md.append("")
        md.append(contact)
        md.append("")
        md.append("## Likely consequences (art. 33(3)(c))")
        md.append("")
        md.append(incident.consequences.isEmpty ? "(to be completed)" : incident.consequences)
        md.append("")
        md.append("## Measures taken or proposed (art. 33(3)(d))")
        md.append("")
        md.append(incident.remedial.isEmpty ? "(to be completed)" : incident.remedial)
        md.append("")
        md.append("Notification of the persons (art. 34): " + (incident.encryptedAndKeysSafe
            ? "the exposed fields were encrypted and the keys were not exposed: art. 34(3)(a) may exempt it."
            : "required; letters are generated per person from the same scope."))
        md.append("")
        md.append("## Timeline (from the ledger)")
        md.append("")
        md.append(contentsOf: timeline())
        md.append("")
        md.append("## Evidence")
        md.append("")
        md.append("Scope query: `\(BreachRegister.compact(scope.query.json))`. Computed over the \(scope.checkpoint.size) entries of the signed checkpoint with root hash `\(scope.checkpoint.rootHash.base64)`:")
        md.append("")
        md.append("```")
        md.append(scope.checkpoint.note.trimmingCharacters(in: .newlines))
        md.append("```")
        return md.joined(separator: "\n") + "\n"
    }

    /// Matched ledger events by hour (UTC), with the detection and registration times.
    func timeline() -> [String] {
        var hours: [Date: (reads: Int, writes: Int, refused: Int)] = [:]
        for e in scope.events {
            let hour = Date(timeIntervalSince1970: (e.at.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
            var h = hours[hour] ?? (0, 0, 0)
            if !e.allowed { h.refused += 1 } else if e.disclosed { h.reads += 1 } else if e.isChange { h.writes += 1 }
            hours[hour] = h
        }
        var lines: [(Date, String)] = hours.map { ($0.key, "- \(ScopeFormat.time($0.key)) (hour): \($0.value.reads) reads, \($0.value.writes) changes, \($0.value.refused) refused") }
        if let first = scope.events.first { lines.append((first.at, "- \(ScopeFormat.time(first.at)): first access in scope (`\(first.action)`)")) }
        if let last = scope.events.last { lines.append((last.at, "- \(ScopeFormat.time(last.at)): last access in scope (`\(last.action)`)")) }
        lines.append((incident.detectedAt, "- \(ScopeFormat.time(incident.detectedAt)): detected"))
        lines.append((incident.createdAt, "- \(ScopeFormat.time(incident.createdAt)): registered in the breach register"))
        if let n = incident.notifiedAuthorityAt { lines.append((n, "- \(ScopeFormat.time(n)): authority notified")) }
        return lines.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
