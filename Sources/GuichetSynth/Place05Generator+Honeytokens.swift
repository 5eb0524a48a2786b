public import GuichetCore
public import GuichetStore
import GuichetVault
import Foundation

extension Place05Generator {
    /// Honeytokens planted by ``plantHoneytokens(_:into:)``: ids for tests and the simulator
    /// only; the registry itself keeps them as keyed tags.
    public struct Honeytokens: Sendable {
        public let dossiers: [DossierID]
        public let persons: [PersonID]
    }

    /// Plants `count` honeytoken applications: ordinary-looking waiting-list files (a child and
    /// one or two parents, valid identifiers) that no legitimate work reaches. Their families
    /// carry double surnames that no generated family has, so no name search of real work
    /// returns them, and they name no daycare service, so no partner's list shows them. Only
    /// keyed tags of their ids are stored (`watch_honeytoken`); any access to one suspends the
    /// account (see docs/DETECTION.md).
    public func plantHoneytokens(_ count: Int, into store: Store) async throws -> Honeytokens {
        guard count > 0 else { return Honeytokens(dossiers: [], persons: []) }
        var rng = SplitMix64(seed: seed ^ 0x686f_6e65_7974_6f6b)
        let now = Date()
        let key = try vault.derivedKey(purpose: Honeytoken.keyPurpose)
        var batch: [(DossierRecord, [NewPerson])] = []
        var tags: [Data] = []
        var dossiers: [DossierID] = [], persons: [PersonID] = []
        for _ in 0..<count {
            let region = pickRegion(&rng)
            var names = QuebecNames.lastNames.shuffled(using: &rng).prefix(2).map { $0 }
            if names.count < 2 { names.append("Lanctôt") }
            let lastName = "\(names[0])-\(names[1])"
            let city = region.cities.randomElement(using: &rng)!  // every region lists cities
            let address = "\(Int.random(in: 1...9999, using: &rng)) \(StreetNames.all.randomElement(using: &rng)!), \(city), QC"
            var parents: [NewPerson] = []
            for i in 0..<(Double.random(in: 0..<1, using: &rng) < 0.78 ? 2 : 1) {
                let female = i == 0 ? Double.random(in: 0..<1, using: &rng) < 0.7 : Bool.random(using: &rng)
                let first = (female ? QuebecNames.adultFemaleFirstNames : QuebecNames.adultMaleFirstNames).randomElement(using: &rng)!
                let birth = randomDate(from: LocalDate(year: today.year - 45, month: 1, day: 1)!, to: LocalDate(year: today.year - 19, month: 12, day: 31)!, rng: &rng)
                parents.append(try person([
                    "firstName": .string(first), "lastName": .string(lastName), "birthDate": date(birth), "address": .string(address),
                    "nam": .string(NAM.make(lastName: lastName, firstName: first, birthYear: birth.year, birthMonth: birth.month, birthDay: birth.day,
                                            female: female, sequence: Int.random(in: 0...99, using: &rng))),
                    "email": .string(SyntheticEmail.make(first: first, last: lastName, n: Int.random(in: 1...999, using: &rng))),
                    "phone": .string(QuebecPhone.make(region: region.code, using: &rng)),
                ], rng: &rng))
            }
            let (birth, child) = try makeChild(lastName: lastName, region: region, rng: &rng)
            let id = DossierID(using: &rng)
            let (dataKey, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
            let earliest = max(birth, today)
            let fields: [String: FieldValue] = [
                "desiredStart": .date(randomDate(from: earliest, to: LocalDate(year: today.year + 1, month: 9, day: 1)!, rng: &rng)),
                "daysPerWeek": .integer(5), "schedule": .text("full-time"), "siblingAttends": .boolean(false),
            ]
            let links = [PersonLink(role: "child", person: child.record.id)] + parents.map { PersonLink(role: "parent", person: $0.record.id) }
            let record = DossierRecord(id: id, type: "application", status: "waiting", organisation: nil, assignedAgent: nil,
                                       territory: region.code, version: 1,
                                       fields: try vault.seal(fields, subject: id.rawValue, key: dataKey, dossierType: "application"),
                                       persons: links, partners: [], createdAt: now, updatedAt: now, key: wrapped)
            batch.append((record, parents + [child]))
            dossiers.append(id)
            tags.append(Honeytoken.tag(id.rawValue, kind: "dossier", key: key))
            for p in links.map(\.person) {
                persons.append(p)
                tags.append(Honeytoken.tag(p.rawValue, kind: "person", key: key))
            }
        }
        try await store.importBatch(batch, by: nil)
        try await store.insertHoneytokenTags(tags)
        return Honeytokens(dossiers: dossiers, persons: persons)
    }
}
