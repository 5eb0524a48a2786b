public import GuichetCore
public import GuichetStore
public import GuichetVault
import Foundation

/// Generates a synthetic R1 registry (the childcare waiting list of the `place05` profile):
/// daycare services over Québec's regions, families with one or more children on the list,
/// preferences and states in realistic proportions. Every identifier has a valid format and
/// belongs to nobody: names are drawn from common lists, phones use the fictional 555-01XX
/// range, e-mails the reserved example domains.
public struct Place05Generator: Sendable {
    public let profile: Profile
    public let size: Int
    public let seed: UInt64
    public let today: LocalDate
    /// Whether ``Summary/searchKeys`` is filled (the simulator's agents search by them).
    public var keepSearchKeys = false
    let vault: Vault

    /// - Precondition: the profile declares the `application` dossier type of place05.
    public init(profile: Profile, keys: any KeyProvider, size: Int, seed: UInt64 = 2021_05_01, today: LocalDate) {
        precondition(profile.dossierTypes["application"] != nil, "the place05 generator needs the place05 profile")
        self.profile = profile; self.size = size; self.seed = seed; self.today = today
        self.vault = Vault(profile: profile, keys: keys)
    }

    /// What was generated, for the demo accounts.
    public struct Summary: Sendable {
        public let operatorOrg: OrganisationID
        public let ministryOrg: OrganisationID
        /// Daycare services, busiest first (most applications naming them).
        public let busiestDaycares: [Organisation]
        /// A parent person linked to at least one dossier, for the demo parent account.
        public let sampleParent: PersonID
        /// Real applications (honeytokens not counted).
        public let dossiers: Int
        /// Persons of real applications (honeytokens not counted).
        public let persons: Int
        /// The honeytokens planted among them (for tests and the simulator only).
        public let honeytokens: Honeytokens
        /// Each real application's child's name and birth date, when ``keepSearchKeys`` is set.
        public var searchKeys: [DossierID: SearchKey] = [:]
    }

    /// Writes the registry into `store` in batches, calling `progress` with the count done,
    /// with `honeytokens` honeytoken applications planted at random places among the real ones
    /// (see ``Honeytokens``).
    public func generate(into store: any SyntheticStorage, honeytokens: Int = 0,
                         progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        precondition(size >= 1 && honeytokens >= 0, "at least one real application, and no negative count of honeytokens")
        var rng = SplitMix64(seed: seed)
        let now = Date()
        let operatorOrg = Organisation(id: OrganisationID(using: &rng), kind: "operator", name: "Coopérative Place 0-5 (synthétique)", territory: nil, capacity: nil)
        let ministry = Organisation(id: OrganisationID(using: &rng), kind: "ministry", name: "Ministère de la Famille (synthétique)", territory: nil, capacity: nil)
        var daycares: [Organisation] = []
        var byRegion: [String: [Int]] = [:]
        let daycareCount = max(12, size / 25)
        for i in 0..<daycareCount {
            let region = pickRegion(&rng)
            let city = region.cities.randomElement(using: &rng)!  // every region lists cities
            let name = "\(DaycareNames.prefixes.randomElement(using: &rng)!) \(DaycareNames.themes.randomElement(using: &rng)!) de \(city)"
            byRegion[region.code, default: []].append(i)
            daycares.append(Organisation(id: OrganisationID(using: &rng), kind: "daycare", name: name, territory: region.code,
                                         capacity: [21, 26, 39, 50, 62, 80].randomElement(using: &rng)))
        }
        try await store.insert(organisations: [operatorOrg, ministry] + daycares, at: now)

        var demand = [Int](repeating: 0, count: daycares.count)
        var batch: [(DossierRecord, [NewPerson])] = []
        var writing: Task<Void, any Error>?
        var made = 0, persons = 0
        var sampleParent: PersonID?
        // Honeytoken families are made by the same code as real ones, at random places in the
        // writing order (so that no row id, timestamp or batch sets them apart).
        let slots = PlantedHoneytokens.slots(count: honeytokens, among: size, seed: seed)
        var planted = Honeytokens()
        var keys: [DossierID: SearchKey] = [:]
        while made < size || planted.dossiers.count < honeytokens {
            let decoy = planted.dossiers.count < honeytokens && (made >= size || slots.contains(made + planted.dossiers.count))
            let region = pickRegion(&rng)
            let family = try makeFamily(region: region, reserved: decoy, rng: &rng)
            if decoy { planted.persons += family.parents.map(\.record.id) } else { persons += family.parents.count }
            if !decoy { sampleParent = sampleParent ?? family.parents[0].record.id }
            let left = decoy ? honeytokens - planted.dossiers.count : size - made
            let children = min(left, Double.random(in: 0..<1, using: &rng) < 0.22 ? 2 : 1)
            for c in 0..<children {
                let child = try makeChild(lastName: family.lastName, region: region, rng: &rng)
                let local = byRegion[region.code] ?? Array(daycares.indices)
                let choices = Array(local.shuffled(using: &rng).prefix(Int.random(in: 1...min(5, local.count), using: &rng)))
                for i in choices { demand[i] += 1 }
                let record = try makeDossier(child: child.1, parents: family.parents.map(\.record.id), partners: choices.map { daycares[$0].id },
                                             birth: child.0, region: region, now: now, late: decoy, rng: &rng)
                batch.append((record, (c == 0 ? family.parents : []) + [child.1]))
                if decoy {
                    planted.dossiers.append(record.id); planted.persons.append(child.1.record.id)
                } else {
                    made += 1; persons += 1
                    if keepSearchKeys { keys[record.id] = SearchKey(lastName: family.lastName, birthDate: child.0) }
                }
            }
            if batch.count >= 8_000 {
                // Write this batch on the database's queue while the next one is generated.
                let full = batch, count = made
                batch = []
                try await writing?.value
                writing = Task { try await store.importBatch(full, by: nil); progress(count) }
            }
        }
        try await writing?.value
        if !batch.isEmpty { try await store.importBatch(batch, by: nil); progress(made) }
        try await record(planted, into: store)
        let busiest = demand.indices.sorted { demand[$0] > demand[$1] }.prefix(5).map { daycares[$0] }
        return Summary(operatorOrg: operatorOrg.id, ministryOrg: ministry.id, busiestDaycares: busiest,
                       sampleParent: sampleParent!, dossiers: made, persons: persons,  // size >= 1 makes one real family
                       honeytokens: planted, searchKeys: keys)
    }

    func pickRegion(_ rng: inout SplitMix64) -> QuebecRegion {
        var x = Double.random(in: 0..<1, using: &rng)
        for r in QuebecRegions.all { x -= r.weight; if x < 0 { return r } }
        return QuebecRegions.all[5]
    }

    /// Validates generated input exactly as API input is validated, so generated data is
    /// normalised the same way and always fits the profile.
    func person(_ input: [String: JSON], rng: inout SplitMix64) throws -> NewPerson {
        var values: [String: FieldValue] = [:]
        var terms: [PersonTerm] = []
        for (name, json) in input {
            guard let spec = profile.personField(name) else { continue }
            // Generated values are built to be valid; a failure here is a bug in the generator.
            let value = try! FieldValidation.value(json, for: spec, path: name)
            values[name] = value
            if spec.searchable {
                terms.append(PersonTerm(field: name, term: try vault.blindIndex(field: name, term: FieldValidation.term(value, type: spec.type))))
            }
        }
        if let year = try PersonTerm.birthYear(values.mapValues(Optional.some), profile: profile, tag: vault.birthYearTag) { terms.append(year) }
        let id = PersonID(using: &rng)
        let (key, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
        return NewPerson(record: PersonRecord(id: id, version: 1, fields: try vault.seal(values, subject: id.rawValue, key: key), key: wrapped),
                         terms: terms)
    }

    func date(_ d: LocalDate) -> JSON { .string(d.iso) }

    func randomDate(from a: LocalDate, to b: LocalDate, rng: inout SplitMix64) -> LocalDate {
        let year = Int.random(in: a.year...max(a.year, b.year), using: &rng)
        let month = Int.random(in: 1...12, using: &rng)
        let day = Int.random(in: 1...LocalDate.daysIn(month: month, year: year), using: &rng)
        let d = LocalDate(year: year, month: month, day: day)!  // day is within the month
        return min(max(d, a), b)
    }

    /// A day in the last three months up to `latest`.
    func lateStart(before latest: LocalDate, rng: inout SplitMix64) -> LocalDate {
        let back = Int.random(in: 0...2, using: &rng)
        let month = (latest.month - 1 - back + 12) % 12 + 1
        let year = latest.month - back >= 1 ? latest.year : latest.year - 1
        let d = LocalDate(year: year, month: month, day: Int.random(in: 1...LocalDate.daysIn(month: month, year: year), using: &rng))!  // a valid day
        return min(d, latest)
    }

    /// A family of one or two parents. A `reserved` family (a honeytoken's) carries surnames
    /// that no real family has, each of the same lengths as the real surname it stands for.
    func makeFamily(region: QuebecRegion, reserved: Bool = false, rng: inout SplitMix64) throws -> (lastName: String, parents: [NewPerson]) {
        func surname() -> String {
            let real = QuebecNames.lastNames.randomElement(using: &rng)!  // not empty
            return reserved ? QuebecNames.reservedLastName(like: real, using: &rng) : real
        }
        let lastName = surname()
        let city = region.cities.randomElement(using: &rng)!
        let address = "\(Int.random(in: 1...9999, using: &rng)) \(StreetNames.all.randomElement(using: &rng)!), \(city), QC"
        let count = Double.random(in: 0..<1, using: &rng) < 0.78 ? 2 : 1
        var parents: [NewPerson] = []
        for i in 0..<count {
            let female = i == 0 ? Double.random(in: 0..<1, using: &rng) < 0.7 : Bool.random(using: &rng)
            let first = (female ? QuebecNames.adultFemaleFirstNames : QuebecNames.adultMaleFirstNames).randomElement(using: &rng)!
            let last = i == 0 || Bool.random(using: &rng) ? lastName : surname()
            let birth = randomDate(from: LocalDate(year: today.year - 45, month: 1, day: 1)!, to: LocalDate(year: today.year - 19, month: 12, day: 31)!, rng: &rng)
            var input: [String: JSON] = [
                "firstName": .string(first), "lastName": .string(last), "birthDate": date(birth), "address": .string(address),
                "nam": .string(NAM.make(lastName: last, firstName: first, birthYear: birth.year, birthMonth: birth.month, birthDay: birth.day,
                                        female: female, sequence: Int.random(in: 0...99, using: &rng))),
                "email": .string(SyntheticEmail.make(first: first, last: last, n: Int.random(in: 1...999, using: &rng))),
            ]
            if Double.random(in: 0..<1, using: &rng) < 0.9 { input["phone"] = .string(QuebecPhone.make(region: region.code, using: &rng)) }
            parents.append(try person(input, rng: &rng))
        }
        return (lastName, parents)
    }

    func makeChild(lastName: String, region: QuebecRegion, rng: inout SplitMix64) throws -> (LocalDate, NewPerson) {
        let female = Bool.random(using: &rng)
        let first = (female ? QuebecNames.girlFirstNames : QuebecNames.boyFirstNames).randomElement(using: &rng)!
        let fiveYearsAgo = LocalDate(year: today.year - 5, month: today.month, day: min(today.day, 28))!
        let birth = randomDate(from: fiveYearsAgo, to: today, rng: &rng)
        let input: [String: JSON] = [
            "firstName": .string(first), "lastName": .string(lastName), "birthDate": date(birth),
            "nam": .string(NAM.make(lastName: lastName, firstName: first, birthYear: birth.year, birthMonth: birth.month, birthDay: birth.day,
                                    female: female, sequence: Int.random(in: 0...99, using: &rng))),
        ]
        return (birth, try person(input, rng: &rng))
    }

    /// An application. A `late` one (a honeytoken's) asks for a start among the latest that
    /// real applications ask for, so that it comes late in the order normal work follows.
    func makeDossier(child: NewPerson, parents: [PersonID], partners: [OrganisationID], birth: LocalDate, region: QuebecRegion,
                     now: Date, late: Bool = false, rng: inout SplitMix64) throws -> DossierRecord {
        let x = Double.random(in: 0..<1, using: &rng)
        let status = x < 0.70 ? "waiting" : x < 0.75 ? "offered" : x < 0.88 ? "placed" : x < 0.94 ? "closed" : "withdrawn"
        let earliest = max(birth, LocalDate(year: today.year - 1, month: today.month, day: min(today.day, 28))!)
        let latest = LocalDate(year: today.year + 1, month: min(12, today.month + 6), day: 1)!
        let start = randomDate(from: earliest, to: max(earliest, latest), rng: &rng)
        var fields: [String: FieldValue] = [
            "desiredStart": .date(late ? lateStart(before: max(earliest, latest), rng: &rng) : start),
            "daysPerWeek": .integer(Double.random(in: 0..<1, using: &rng) < 0.75 ? 5 : Int.random(in: 2...4, using: &rng)),
            "schedule": .text(Double.random(in: 0..<1, using: &rng) < 0.85 ? "full-time" : Bool.random(using: &rng) ? "part-time" : "atypical-hours"),
            "siblingAttends": .boolean(Double.random(in: 0..<1, using: &rng) < 0.15),
        ]
        if Double.random(in: 0..<1, using: &rng) < 0.04 {
            fields["specialNeeds"] = .text(["Allergie alimentaire (synthétique)", "Suivi en orthophonie (synthétique)",
                                            "Besoin d'accompagnement (synthétique)"].randomElement(using: &rng)!)
        }
        if ["offered", "placed", "closed"].contains(status) {
            fields["offeredBy"] = .text(partners[0].rawValue)
            fields["offeredOn"] = .date(randomDate(from: LocalDate(year: today.year - 1, month: 1, day: 1)!, to: today, rng: &rng))
        }
        let links = [PersonLink(role: "child", person: child.record.id)] + parents.map { PersonLink(role: "parent", person: $0) }
        let id = DossierID(using: &rng)
        let (key, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
        return DossierRecord(id: id, type: "application", status: status, organisation: nil, assignedAgent: nil,
                             territory: region.code, version: 1,
                             fields: try vault.seal(fields, subject: id.rawValue, key: key, dossierType: "application"),
                             persons: links, partners: partners, createdAt: now, updatedAt: now, key: wrapped)
    }
}
