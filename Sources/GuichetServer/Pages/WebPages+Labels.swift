import Foundation
import GuichetLedger

/// Labels for the names the store and the watch keep (detectors, responses, notices,
/// organisation kinds, version and incident changes), in the page's language. A name the texts
/// do not know yet is shown as it is; text that people wrote (a note, a reason) is never
/// translated.
extension WebPages {
    /// The text of `prefix + name`, else the name itself.
    func label(_ prefix: String, _ name: String, _ language: String) -> String {
        optionalText(prefix + name, language) ?? name
    }

    /// A version's change as the store names it: "create", "update", "import", a workflow
    /// step ("accept"), or "restore of version N".
    func versionChange(_ change: String, _ language: String) -> String {
        if let m = change.wholeMatch(of: #/restore of version ([0-9]+)/#) {
            return text("changeRestore", language).replacingOccurrences(of: "{version}", with: String(m.1))
        }
        return optionalText("change_" + change, language) ?? optionalText("transition_" + change, language) ?? change
    }

    /// An incident's change as the breach register writes it (parts joined by "; "); a part
    /// it does not know (a note about letters) stays as written.
    func incidentChange(_ change: String, _ language: String) -> String {
        change.components(separatedBy: "; ").map { part -> String in
            if let m = part.wholeMatch(of: #/registered \(status ([a-z-]+)\)/#) {
                return text("incidentRegistered", language).replacingOccurrences(of: "{status}", with: label("incident_", String(m.1), language))
            }
            if let m = part.wholeMatch(of: #/status ([a-z-]+) → ([a-z-]+)/#) {
                return text("incidentStatusChange", language).replacingOccurrences(of: "{from}", with: label("incident_", String(m.1), language))
                    .replacingOccurrences(of: "{to}", with: label("incident_", String(m.2), language))
            }
            if part == "remedial action updated" { return text("incidentRemedialUpdated", language) }
            if part == "effects updated" { return text("incidentEffectsUpdated", language) }
            if let m = part.wholeMatch(of: #/authority notified at (.+)/#), let at = try? ScopeFormat.parseTime(String(m.1), "at") {
                return text("incidentAuthorityNotified", language).replacingOccurrences(of: "{at}", with: PageFormat.time(at, language))
            }
            return part
        }.joined(separator: "; ")
    }
}
