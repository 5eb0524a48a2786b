import Foundation
public import GuichetCore

/// Human labels of fields and roles for letters and reports, in French and English: first
/// the profile's own (`label:` on a field or on a dossier's person role), then this table,
/// then the field's own name split at capitals (`desiredStart` → "desired start").
public enum Labels {
    static let fields: [String: (fr: String, en: String)] = [
        "firstName": ("prénom", "first name"), "lastName": ("nom de famille", "last name"), "birthDate": ("date de naissance", "date of birth"),
        "nam": ("numéro d'assurance maladie (NAM)", "health insurance number (NAM)"), "nir": ("numéro de sécurité sociale (NIR)", "social security number (NIR)"),
        "cin": ("numéro de carte d'identité nationale (CIN)", "national identity card number (CIN)"),
        "cnss": ("numéro d'immatriculation à la CNSS", "CNSS registration number"),
        "email": ("adresse électronique", "e-mail address"), "phone": ("numéro de téléphone", "phone number"), "address": ("adresse postale", "postal address"),
        "nationality": ("nationalité", "nationality"), "iban": ("coordonnées bancaires", "bank account details"),
        "desiredStart": ("date d'entrée souhaitée", "desired start date"), "daysPerWeek": ("nombre de jours par semaine", "days per week"),
        "schedule": ("horaire", "schedule"), "siblingAttends": ("fratrie déjà inscrite (vérifiée)", "sibling already attending (checked)"),
        "siblingDeclared": ("fratrie déclarée", "sibling declared"),
        "specialNeeds": ("besoins particuliers", "special needs"), "offeredBy": ("service ayant offert une place", "service that offered a place"),
        "offeredOn": ("date de l'offre", "date of the offer"), "partners": ("services choisis", "chosen services"),
        // A workflow step's entry names the file's state (a co-operative's audit read
        // "étape du dossier status" in a parent's history).
        "status": ("état du dossier", "the file's status"),
    ]
    static let roles: [String: (fr: String, en: String)] = [
        "child": ("de l'enfant", "the child's"), "parent": ("du parent", "the parent's"), "person": ("", ""),
    ]

    /// The label of a field path (`child.birthDate` → "date de naissance de l'enfant").
    public static func field(_ path: String, language: String, profile: Profile? = nil) -> String {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        let name = parts.last ?? path
        // A bare name is a dossier's field or, failing that, a person's (the file page names a
        // person's fields without their role: emploi's registryId read "registry id").
        // `partners` is what the dossier types' `partners:` call them (secu's "employeurs").
        let declared = parts.count == 2 ? profile?.personField(name)?.labels[language]
            : name == "partners" ? profile?.dossierTypes.values.lazy.compactMap { $0.partners?.labels[language] }.first
            : profile?.dossierTypes.values.lazy.compactMap { $0.field(name)?.labels[language] }.first ?? profile?.personField(name)?.labels[language]
        let known = fields[name]
        let base = declared ?? known.map { language == "fr" ? $0.fr : $0.en } ?? split(name)
        guard parts.count == 2 else { return base }
        let role = parts[0]
        if let qualifier = profile?.dossierTypes.values.lazy.compactMap({ $0.persons.first { $0.role == role }?.labels[language] }).first {
            // A field that names its person already ("identifiant de demandeur d'emploi") takes
            // no second mention (an operator's audit: "… de demandeur d'emploi du demandeur d'emploi").
            if names(base, qualifier) { return base }
            return language == "fr" ? "\(base) \(qualifier)" : "\(qualifier) \(base)"
        }
        if let r = roles[role] {
            let qualifier = language == "fr" ? r.fr : r.en
            if qualifier.isEmpty { return base }
            return language == "fr" ? "\(base) \(qualifier)" : "\(qualifier) \(base)"
        }
        return language == "fr" ? "\(base) (\(role))" : "\(role) \(base)"
    }

    /// A person role as a category of persons (`seeker` → "demandeur d'emploi" / "job seeker"):
    /// its label as a qualifier ("du demandeur d'emploi", "the job seeker's") without its article
    /// and possessive; the role's own name when it has no label (an incident audit read
    /// `seeker` in a French report).
    public static func personCategory(_ role: String, language: String, profile: Profile? = nil) -> String {
        let declared = profile?.dossierTypes.values.lazy.compactMap({ $0.persons.first { $0.role == role }?.labels[language] }).first
        guard let qualifier = declared ?? roles[role].map({ language == "fr" ? $0.fr : $0.en }), !qualifier.isEmpty else { return role }
        var noun = qualifier
        for article in language == "fr" ? ["du ", "de la ", "de l'", "des ", "de "] : ["the ", "a ", "an "] where noun.hasPrefix(article) {
            noun = String(noun.dropFirst(article.count))
            break
        }
        for possessive in ["'s", "’s", "'", "’"] where language == "en" && noun.hasSuffix(possessive) {
            noun = String(noun.dropLast(possessive.count))
            break
        }
        return noun.isEmpty ? role : noun
    }

    /// A field path's classification in the profile (person or dossier field), if declared.
    public static func classification(_ path: String, profile: Profile) -> Classification? {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 { return profile.personField(parts[1])?.classification }
        for t in profile.dossierTypes.values { if let f = t.field(path) { return f.classification } }
        return nil
    }

    /// Whether a field's label already holds the noun of its person's qualifier ("du demandeur
    /// d'emploi", "the job seeker's"), hyphens and case aside.
    static func names(_ base: String, _ qualifier: String) -> Bool {
        func plain(_ s: String) -> String { s.lowercased().replacingOccurrences(of: "-", with: " ").replacingOccurrences(of: "’", with: "'") }
        var noun = plain(qualifier)
        for article in ["du ", "de la ", "de l'", "des ", "de ", "the ", "a ", "an "] where noun.hasPrefix(article) { noun.removeFirst(article.count); break }
        if noun.hasSuffix("'s") { noun.removeLast(2) }
        noun = noun.trimmingCharacters(in: .whitespaces)
        return noun.count >= 4 && plain(base).contains(noun)
    }

    static func split(_ name: String) -> String {
        var out = ""
        for c in name {
            if c.isUppercase { out += " " + c.lowercased() } else { out.append(c) }
        }
        return out
    }

    /// Escapes text for HTML.
    public static func html(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"; case "<": out += "&lt;"; case ">": out += "&gt;"; case "\"": out += "&quot;"; case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
