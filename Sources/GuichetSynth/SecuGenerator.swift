public import GuichetCore
public import GuichetStore
public import GuichetVault
import Foundation

/// Generates a synthetic R3 registry (insured persons' accounts of the `secu` profile): funds
/// over sixteen départements, employers, one account per insured person (with a Moroccan CIN,
/// CNSS number and phone) with their children as dependants, rights and benefits, the
/// employers that declare their salaries as partners, a bank account (an IBAN with valid check
/// digits, never a real one), reimbursements and salaries.
public struct SecuGenerator: Sendable {
    public let profile: Profile
    public let size: Int
    public let seed: UInt64
    public let today: LocalDate
    let people: SyntheticPeople

    /// - Precondition: the profile declares the `insured-account` dossier type of `secu`.
    public init(profile: Profile, keys: any KeyProvider, size: Int, seed: UInt64 = 2024_03_18, today: LocalDate) {
        precondition(profile.dossierTypes["insured-account"] != nil, "the secu generator needs the secu profile")
        self.profile = profile; self.size = size; self.seed = seed; self.today = today
        self.people = SyntheticPeople(profile: profile, keys: keys)
    }

    public struct Summary: Sendable {
        public let operatorOrg: OrganisationID
        public let funds: [Organisation]
        public let employers: [Organisation]
        public let sampleInsured: PersonID
        public let dossiers: Int
        public let persons: Int
    }

    public func generate(into store: any SyntheticStorage, progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        var rng = SplitMix64(seed: seed)
        let now = Date()
        let op = Organisation(id: OrganisationID(using: &rng), kind: "operator", name: "Caisse nationale (synthétique)", territory: nil, capacity: nil)
        let depts = FrenchDepartements.all
        let funds = depts.map { d in
            Organisation(id: OrganisationID(using: &rng), kind: "fund", name: "Caisse primaire de \(d.town) (synthétique)", territory: d.code, capacity: nil)
        }
        let employers = (0..<max(depts.count, size / 40)).map { i in
            Organisation(id: OrganisationID(using: &rng), kind: "employer",
                         name: "\(["Boulangerie", "Transports", "Clinique", "Atelier", "Société", "Garage"][i % 6]) \(FrenchNames.last[i % FrenchNames.last.count]) (synthétique)",
                         territory: depts[i % depts.count].code, capacity: nil)
        }
        try await store.insert(organisations: [op] + funds + employers, at: now)
        var batch: [(DossierRecord, [NewPerson])] = []
        var sample: PersonID?
        var persons = 0
        for made in 0..<size {
            let f = Int.random(in: 0..<funds.count, using: &rng)
            let fund = funds[f]
            let dept = fund.territory ?? "75"
            let insured = try people.person(departement: dept, ages: 18...80, today: today, extra: [
                "cin": .string(SyntheticMorocco.cin(using: &rng)), "cnss": .string(SyntheticMorocco.cnss(using: &rng)),
                "phone": .string(SyntheticMorocco.phone(using: &rng)),
            ], rng: &rng)
            sample = sample ?? insured.record.id
            var newPersons = [insured]
            var links = [PersonLink(role: "insured", person: insured.record.id)]
            for _ in 0..<(Double.random(in: 0..<1, using: &rng) < 0.35 ? Int.random(in: 1...3, using: &rng) : 0) {
                let child = try people.person(departement: dept, ages: 0...17, today: today, contact: false, rng: &rng)
                newPersons.append(child)
                links.append(PersonLink(role: "dependant", person: child.record.id))
            }
            persons += newPersons.count
            let local = employers.indices.filter { employers[$0].territory == dept }
            let working = Double.random(in: 0..<1, using: &rng) < 0.7 && !local.isEmpty
            let partners = working ? Array(local.shuffled(using: &rng).prefix(Double.random(in: 0..<1, using: &rng) < 0.85 ? 1 : 2)).map { employers[$0].id } : []
            let x = Double.random(in: 0..<1, using: &rng)
            let status = x < 0.9 ? "open" : x < 0.93 ? "suspended" : "closed"
            let r = Double.random(in: 0..<1, using: &rng)
            var fields: [String: FieldValue] = [
                "affiliatedOn": .date(LocalDate(year: today.year - Int.random(in: 0...40, using: &rng), month: Int.random(in: 1...12, using: &rng), day: 1)!),
                "regime": .text(r < 0.85 ? "general" : r < 0.9 ? "agricultural" : "self-employed"),
                "bankAccount": .text(Self.iban(&rng)),
                "reimbursements": .text((0..<Int.random(in: 1...6, using: &rng)).map { _ in
                    "\(today.year)-\(String(format: "%02d", Int.random(in: 1...12, using: &rng))): \(["consultation", "pharmacie", "kinésithérapie", "dentaire", "optique"].randomElement(using: &rng)!) \(Int.random(in: 10...180, using: &rng)) € (synthétique)"
                }.joined(separator: "; ")),
            ]
            if working {
                fields["salaries"] = .text((1...4).map { "\(today.year - $0): \(Int.random(in: 18_000...60_000, using: &rng)) € (synthétique)" }.joined(separator: "; "))
            }
            if status != "closed" {
                fields["rightsUntil"] = .date(LocalDate(year: today.year + 1, month: Int.random(in: 1...12, using: &rng), day: 1)!)
                if !links.dropFirst().isEmpty { fields["benefits"] = .text("allocations familiales: \(links.count - 1) enfant(s) (synthétique)") }
            }
            if status == "closed" { fields["closedOn"] = .date(LocalDate(year: today.year, month: 2, day: 1)!) }
            let record = try people.dossier(id: DossierID(using: &rng), type: "insured-account", status: status, organisation: fund.id, territory: dept,
                                            fields: fields, persons: links, partners: partners, now: now)
            batch.append((record, newPersons))
            if batch.count >= 5_000 || made == size - 1 {
                try await store.importBatch(batch, by: nil)
                batch = []
                progress(made + 1)
            }
        }
        return Summary(operatorOrg: op.id, funds: funds, employers: employers, sampleInsured: sample!, dossiers: size, persons: persons)  // size >= 1
    }

    /// A French IBAN with valid ISO 13616 check digits over random bank, branch and account
    /// numbers (belongs to no one).
    static func iban(_ rng: inout SplitMix64) -> String {
        let bban = (0..<23).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
        // Move "FR00" to the end, letters as numbers (F = 15, R = 27), mod 97 digit by digit.
        var remainder = 0
        for c in bban + "152700" { remainder = (remainder * 10 + Int(String(c))!) % 97 }  // all ASCII digits
        let check = 98 - remainder
        return "FR" + (check < 10 ? "0\(check)" : "\(check)") + bban
    }
}
