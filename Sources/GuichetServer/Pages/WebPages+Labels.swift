import Foundation
import GuichetBreach
import GuichetCore
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

extension GuichetServer {
    /// What the pages call a dossier type: the profile's `label`, else the texts' `type_NAME`,
    /// else its name (a pages audit found "youth-file" and "insured-account" on citizens' pages).
    func typeLabel(_ name: String, _ pages: WebPages, _ l: String) -> String {
        profile.dossierTypes[name]?.labels[l] ?? pages.optionalText("type_" + name, l) ?? name
    }

    /// The words of a form's partner slots: the fieldset's legend, each slot's label, the rule
    /// (nil for a single slot). The profile's `label` and `one` of `partners:` name them (secu's
    /// "employeurs", in no order), else place05's "services choisis, par ordre de préférence",
    /// "Choix 1" (a pages audit found secu's employers called so).
    /// - Parameter slots: the slots the form shows; fewer than the maximum, the rule says how
    ///   to choose more (an operator's audit: "choose 1 to 10" above three slots).
    func partnerWords(_ spec: PartnerSpec, _ pages: WebPages, _ l: String, slots: Int) -> (legend: String, slot: (Int) -> String, rule: String?) {
        func capitalised(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
        func counted(_ key: String, _ label: String) -> String {
            let rule = pages.text(key, l).replacingOccurrences(of: "{min}", with: "\(spec.min)").replacingOccurrences(of: "{max}", with: "\(spec.max)")
                .replacingOccurrences(of: "{label}", with: label)
            guard slots < spec.max else { return rule }
            return rule + " " + pages.text("partnersMoreLater", l).replacingOccurrences(of: "{slots}", with: "\(slots)")
        }
        guard let label = spec.labels[l] else {
            return (pages.text("choices", l), { "\(pages.text("choice", l)) \($0)" }, counted("partnersRule", ""))
        }
        let legend = spec.ordered ? pages.text("choicesOf", l).replacingOccurrences(of: "{label}", with: capitalised(label)) : capitalised(label)
        let one = spec.one[l].map(capitalised)
        let slot: (Int) -> String = { n in
            guard let one else { return "\(pages.text("choice", l)) \(n)" }
            return spec.max == 1 ? one : "\(one) \(n)"
        }
        let rule = spec.max == 1 ? nil : counted(spec.ordered ? "partnersRuleOf" : spec.min == 0 ? "partnersUpTo" : "partnersFromTo", label)
        return (legend, slot, rule)
    }

    /// A refusal's text on a page: in the page's language (``WebPages/generated(_:_:)``), each
    /// field it names by its code (`'person.phone'`, `'daysPerWeek'`, the search's combinations)
    /// named by its label instead, as the forms name it. The API's problem details keep the codes.
    func refusal(_ message: String, _ l: String) -> String {
        // Shown as a sentence of its own, often after one of the page's ("The app was not
        // added: the activation code was refused."): capitalised (a co-operative's audit read
        // "…refused. this activation code is wrong").
        let text = refusalText(message, l)
        guard let first = text.first, first.isLowercase else { return text }
        return first.uppercased() + text.dropFirst()
    }

    func refusalText(_ message: String, _ l: String) -> String {
        guard let pages = try? Self.webPages() else { return message }
        func label(_ path: Substring) -> String {
            let p = path.trimmingCharacters(in: .whitespaces)
            return isField(p) ? Labels.field(p, language: l, profile: profile) : p
        }
        var english = message
        // The search's combinations, and the fields a search may use, listed by code.
        if let m = english.wholeMatch(of: #/search by one of: (.+)/#) {
            english = "search by one of: " + m.1.split(separator: "; ").map { $0.split(separator: " + ").map(label).joined(separator: " + ") }
                .joined(separator: l == "fr" ? "\u{00A0}; " : "; ")
        } else if let m = english.wholeMatch(of: #/no place left: the (\d+) places of your organisation are held by dossiers in state (.+); nothing was changed/#) {
            // The states by their labels, joined in the page's language (a co-operative's audit
            // read "à l'état offered or placed").
            let states = m.2.components(separatedBy: " or ").map { pages.optionalText("state_" + $0, l) ?? $0 }
            let or = l == "fr" ? " ou " : " or "
            return pages.text("noPlaceLeft", l).replacingOccurrences(of: "{capacity}", with: String(m.1))
                .replacingOccurrences(of: "{states}", with: states.joined(separator: or))
        } else if let m = english.wholeMatch(of: #/role '([^']*)' needs an organisation of kind '([^']*)'/#) {
            // The role and the kind by their labels (a social-security audit read "le rôle
            // 'agent' demande une organisation du type 'fund'" on a French page).
            return pages.text("roleNeedsKind", l).replacingOccurrences(of: "{role}", with: pages.optionalText("role_" + m.1, l) ?? String(m.1))
                .replacingOccurrences(of: "{kind}", with: pages.optionalText("orgkind_" + m.2, l) ?? String(m.2))
        } else if let m = english.wholeMatch(of: #/(you cannot search by '[^']*' \(you may search by: )([^()]*)\)/#) {
            english = m.1 + m.2.split(separator: ", ").map(label).joined(separator: ", ") + ")"
        }
        // A field named in quotes: its label, in the language's quotation marks; a form's own
        // field (`reason`, `title`) by its label on the pages too (an everyday users' audit read
        // "'title' est obligatoire" under a box titled "Titre de l'incident"). Any other quoted
        // word (a state) stays as it is.
        return pages.generated(english, l).replacing(#/'([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?)'/#) { m in
            let path = String(m.1)
            let name: String
            if isField(path) { name = Labels.field(path, language: l, profile: profile) } else if let label = pages.optionalText("formKey_" + path, l) {
                name = label
            } else {
                return String(m.0)
            }
            return l == "fr" ? "«\u{00A0}\(name)\u{00A0}»" : "“\(name)”"
        }
    }

    /// Whether a path names a field of the profile: a dossier's field or a person's, alone or
    /// after a person's role (`child.birthDate`; `person.` in a registration).
    func isField(_ path: String) -> Bool {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            return profile.personField(parts[1]) != nil
                && (parts[0] == "person" || profile.dossierTypes.values.contains { $0.persons.contains { $0.role == parts[0] } })
        }
        return profile.personField(path) != nil || profile.dossierTypes.values.contains { $0.field(path) != nil }
    }
}
