import Foundation
import GuichetCore

/// Synthetic CSV exports of an existing registry, in the columns of each profile's sample
/// mapping (`profiles/NAME/import-mapping.yaml`): for the import's tests and benchmark.
/// Fictional values of valid formats only (NAM and NIR with valid keys, CIN and CNSS numbers,
/// reserved phone ranges where the country has them, example.org addresses). Addresses hold commas, some notes quotes, and some of place05's
/// former numbers (an ignored column) line breaks, so the file exercises RFC 4180 quoting.
public enum ImportSample {
    /// The profiles that have a sample.
    public static let profiles = ["place05", "jeunes", "secu", "emploi"]

    /// The organisations a sample's lines name, by kind (create them before importing).
    public static func organisations(_ profile: String) -> [String: [String]] {
        switch profile {
        case "place05": ["daycare": (1...20).map { "CPE Exemple \($0)" }]
        case "jeunes": ["local-office": (1...5).map { "Mission locale exemple \($0)" }]
        case "secu": ["fund": (1...3).map { "Caisse exemple \($0)" }, "employer": (1...10).map { "Employeur exemple \($0)" }]
        case "emploi": ["agency": (1...5).map { "Agence exemple \($0)" }]
        default: [:]
        }
    }

    /// Writes `lines` lines (and the header) to `path`.
    /// - Parameter organisations: the names the lines pick from, by kind (default
    ///   ``organisations(_:)``); each kind of the default must have at least one name.
    /// - Returns: how many persons the lines hold.
    /// - Throws: when the file cannot be written.
    @discardableResult
    public static func write(profile: String, lines: Int, to path: String, seed: UInt64 = 16,
                             organisations names: [String: [String]]? = nil) throws -> Int {
        let orgs = names ?? organisations(profile)
        for (kind, _) in organisations(profile) { precondition(orgs[kind]?.isEmpty == false, "the sample needs a '\(kind)' name") }
        guard let header = headers[profile] else { preconditionFailure("no import sample for profile '\(profile)'") }
        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission)
        }
        defer { try? out.close() }
        var rng = SplitMix64(seed: seed)
        var text = header.joined(separator: ",") + "\r\n"
        var persons = 0
        for i in 0..<lines {
            let (cells, count) = row(profile, i, orgs, &rng)
            persons += count
            precondition(cells.count == header.count, "a sample row has as many cells as the header")
            text += cells.map(quoted).joined(separator: ",") + "\r\n"
            if text.utf8.count > 1 << 16 { try out.write(contentsOf: Data(text.utf8)); text = "" }
        }
        try out.write(contentsOf: Data(text.utf8))
        return persons
    }

    /// RFC 4180: a cell with a comma, a quote or a line break is quoted, its quotes doubled.
    static func quoted(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static let headers: [String: [String]] = [
        "place05": ["NO_DEMANDE", "DATE_DEMANDE", "STATUT", "ENFANT_PRENOM", "ENFANT_NOM", "ENFANT_NAISSANCE", "ENFANT_NAM",
                    "PARENT1_PRENOM", "PARENT1_NOM", "PARENT1_NAISSANCE", "PARENT1_COURRIEL", "PARENT1_TELEPHONE", "PARENT1_ADRESSE",
                    "PARENT2_PRENOM", "PARENT2_NOM", "PARENT2_NAISSANCE", "PARENT2_COURRIEL",
                    "DATE_SOUHAITEE", "JOURS_SEMAINE", "HORAIRE", "FRATRIE", "BESOINS_PARTICULIERS", "SERVICE_1", "SERVICE_2", "SERVICE_3"],
        "jeunes": ["NUMERO", "MISSION_LOCALE", "STATUT", "DATE_ENTREE", "DISPOSITIF", "SITUATION", "PRENOM", "NOM", "DATE_NAISSANCE",
                   "NATIONALITE", "COURRIEL", "TELEPHONE", "ADRESSE", "ACTIONS", "SANTE"],
        "secu": ["CAISSE", "STATUT", "DATE_AFFILIATION", "REGIME", "IBAN", "EMPLOYEUR", "ASSURE_PRENOM", "ASSURE_NOM", "ASSURE_NAISSANCE",
                 "ASSURE_CIN", "ASSURE_CNSS", "ASSURE_COURRIEL", "ASSURE_TELEPHONE", "ASSURE_ADRESSE",
                 "AYANT_DROIT1_PRENOM", "AYANT_DROIT1_NOM", "AYANT_DROIT1_NAISSANCE",
                 "AYANT_DROIT2_PRENOM", "AYANT_DROIT2_NOM", "AYANT_DROIT2_NAISSANCE"],
        "emploi": ["AGENCE", "STATUT", "IDENTIFIANT", "NIR", "PRENOM", "NOM", "DATE_NAISSANCE", "COURRIEL", "TELEPHONE", "ADRESSE",
                   "DATE_INSCRIPTION", "CATEGORIE", "METIER", "DERNIER_CONTACT", "HANDICAP", "BESOINS", "DROITS"],
    ]

    static func pick<R: RandomNumberGenerator>(_ a: [String], _ rng: inout R) -> String { a[Int.random(in: 0..<a.count, using: &rng)] }

    static func day<R: RandomNumberGenerator>(_ years: ClosedRange<Int>, _ rng: inout R) -> LocalDate {
        // Days 1 to 28 exist in every month.
        LocalDate(year: Int.random(in: years, using: &rng), month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...28, using: &rng))!
    }

    /// One synthetic person: first name, last name, birth date, female.
    static func person<R: RandomNumberGenerator>(_ years: ClosedRange<Int>, lastName: String? = nil, french: Bool,
                                                 _ rng: inout R) -> (first: String, last: String, birth: LocalDate, female: Bool) {
        let female = Bool.random(using: &rng)
        let first = french ? pick(female ? FrenchNames.female : FrenchNames.male, &rng)
            : pick(female ? QuebecNames.adultFemaleFirstNames : QuebecNames.adultMaleFirstNames, &rng)
        let last = lastName ?? pick(french ? FrenchNames.last : QuebecNames.lastNames, &rng)
        return (first, last, day(years, &rng), female)
    }

    static func nir<R: RandomNumberGenerator>(_ p: (first: String, last: String, birth: LocalDate, female: Bool), _ rng: inout R) -> String {
        SyntheticNIR.make(female: p.female, birthYear: p.birth.year, birthMonth: p.birth.month, departement: pick(["69", "75", "13", "33"], &rng),
                          using: &rng)
    }

    static func email(_ first: String, _ last: String, _ i: Int) -> String { SyntheticEmail.make(first: first, last: last, n: i) }

    /// The cells of line `i` and how many persons they hold.
    static func row<R: RandomNumberGenerator>(_ profile: String, _ i: Int, _ orgs: [String: [String]], _ rng: inout R) -> ([String], Int) {
        switch profile {
        case "place05":
            let region = pick(QuebecRegions.all.map(\.code), &rng)
            let p1 = person(1975...2000, french: false, &rng)
            let child = person(2021...2025, lastName: p1.last, french: false, &rng)
            let two = Bool.random(using: &rng)
            let p2 = person(1975...2000, french: false, &rng)
            let nam = NAM.make(lastName: child.last, firstName: child.first, birthYear: child.birth.year, birthMonth: child.birth.month,
                               birthDay: child.birth.day, female: child.female, sequence: Int.random(in: 0...99, using: &rng))
            let services = orgs["daycare"]!.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng))
            // A number of the former system (ignored by the mapping), some over two lines.
            let cells = [i % 7 == 0 ? "D\(100_000 + i)\nancien numéro A\(i)" : "D\(100_000 + i)", day(2023...2025, &rng).iso, i % 10 == 0 ? "offered" : "waiting",
                         child.first, child.last, child.birth.iso, nam,
                         p1.first, p1.last, p1.birth.iso, email(p1.first, p1.last, i), QuebecPhone.make(region: region, using: &rng),
                         "\(Int.random(in: 1...9999, using: &rng)) \(pick(StreetNames.all, &rng)), Québec, QC",
                         two ? p2.first : "", two ? p2.last : "", two ? p2.birth.iso : "", two ? email(p2.first, p2.last, i) : "",
                         day(2026...2027, &rng).iso, String(Int.random(in: 1...5, using: &rng)), pick(["full-time", "part-time", "atypical-hours"], &rng),
                         Bool.random(using: &rng) ? "oui" : "non", i % 7 == 0 ? "Allergie déclarée, suivi \"à prévoir\"" : "",
                         services.first!, services.dropFirst().first ?? "", services.dropFirst(2).first ?? ""]
            return (cells, two ? 3 : 2)
        case "jeunes":
            let y = person(2002...2009, french: true, &rng)
            let cells = ["J\(i)", pick(orgs["local-office"]!, &rng), i % 9 == 0 ? "paused" : "active", day(2023...2025, &rng).iso,
                         pick(["cej", "pacea", "none"], &rng), pick(["school", "training", "employment", "seeking"], &rng),
                         y.first, y.last, y.birth.iso, "française", email(y.first, y.last, i), SyntheticNIR.phone(using: &rng),
                         "\(Int.random(in: 1...200, using: &rng)) rue de l'Exemple, Lyon", i % 5 == 0 ? "Atelier CV, puis stage" : "", ""]
            return (cells, 1)
        case "secu":
            let a = person(1950...2000, french: true, &rng)
            let dependants = Int.random(in: 0...2, using: &rng)
            var cells = [pick(orgs["fund"]!, &rng), i % 20 == 0 ? "suspended" : "open", day(1990...2024, &rng).iso,
                         pick(["general", "agricultural", "self-employed"], &rng), "FR76 0000 0000 0000 \(1000 + i % 9000)",
                         Bool.random(using: &rng) ? pick(orgs["employer"]!, &rng) : "",
                         a.first, a.last, a.birth.iso, SyntheticMorocco.cin(using: &rng), SyntheticMorocco.cnss(using: &rng),
                         email(a.first, a.last, i), SyntheticMorocco.phone(using: &rng),
                         "\(Int.random(in: 1...200, using: &rng)) avenue de l'Exemple, Rabat"]
            for d in 0..<2 {
                if d < dependants {
                    let c = person(2008...2024, lastName: a.last, french: true, &rng)
                    cells += [c.first, c.last, c.birth.iso]
                } else { cells += ["", "", ""] }
            }
            return (cells, 1 + dependants)
        default:  // emploi
            let s = person(1965...2005, french: true, &rng)
            let cells = [pick(orgs["agency"]!, &rng), i % 15 == 0 ? "suspended" : "registered", String(format: "%07dX", i),
                         nir(s, &rng), s.first, s.last, s.birth.iso, email(s.first, s.last, i), SyntheticNIR.phone(using: &rng),
                         "\(Int.random(in: 1...200, using: &rng)) boulevard de l'Exemple, Lille", day(2020...2025, &rng).iso,
                         pick(["A", "B", "C", "D", "E"], &rng), pick(["Cuisinier", "Maçon", "Comptable, paie"], &rng), day(2025...2025, &rng).iso,
                         i % 10 == 0 ? "oui" : "non", "", i % 4 == 0 ? "ARE jusqu'en 2026" : ""]
            return (cells, 1)
        }
    }
}
