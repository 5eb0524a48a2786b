public import GuichetCore
public import GuichetStore
public import GuichetVault
import Foundation

/// Generates a synthetic R2 registry (youth-support files of the `jeunes` profile): local
/// offices over sixteen départements, one file per young person aged 16 to 25, most in the
/// CEJ or PACEA programmes. The summary proposes a caseload per office for the demo advisers.
public struct JeunesGenerator: Sendable {
    public let profile: Profile
    public let size: Int
    public let seed: UInt64
    public let today: LocalDate
    let people: SyntheticPeople

    /// - Precondition: the profile declares the `youth-file` dossier type of `jeunes`.
    public init(profile: Profile, keys: any KeyProvider, size: Int, seed: UInt64 = 2025_01_16, today: LocalDate) {
        precondition(profile.dossierTypes["youth-file"] != nil, "the jeunes generator needs the jeunes profile")
        self.profile = profile; self.size = size; self.seed = seed; self.today = today
        self.people = SyntheticPeople(profile: profile, keys: keys)
    }

    public struct Summary: Sendable {
        public let operatorOrg: OrganisationID
        public let offices: [Organisation]
        /// For each of the first offices: active files to put in an adviser's caseload.
        public let caseloads: [[DossierID]]
        public let sampleYoung: PersonID
        /// Real files made (the honeytokens are not counted).
        public let dossiers: Int
        /// The honeytoken files planted among them (for tests and the simulator only).
        public var honeytokens = PlantedHoneytokens()
    }

    public static let caseloadSize = 40

    /// Writes the registry into `store` in batches, calling `progress` with the count done,
    /// with `honeytokens` honeytoken files planted at random places among the real ones.
    ///
    /// A honeytoken file is made by the same code as a real one (office, state, dates,
    /// programme, sealed fields of the same lengths): what sets it apart is its young person's
    /// surname, one no real person carries (``FrenchNames/reservedLastName(like:using:)``), so
    /// no search of real work by name returns it, and it is in no caseload. An adviser's work
    /// never reaches it; a reader going through files by id, or enumerating, does.
    public func generate(into store: any SyntheticStorage, honeytokens: Int = 0,
                         progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        precondition(size >= 1 && honeytokens >= 0, "at least one real file, and no negative count of honeytokens")
        var rng = SplitMix64(seed: seed)
        let now = Date()
        let op = Organisation(id: OrganisationID(using: &rng), kind: "operator", name: "Opérateur national (synthétique)", territory: nil, capacity: nil)
        let depts = FrenchDepartements.all
        let offices = (0..<max(depts.count, min(437, size / 2_500))).map { i in
            Organisation(id: OrganisationID(using: &rng), kind: "local-office", name: "Mission locale \(depts[i % depts.count].town) \(i / depts.count + 1) (synthétique)",
                         territory: depts[i % depts.count].code, capacity: nil)
        }
        try await store.insert(organisations: [op] + offices, at: now)
        var caseloads = [[DossierID]](repeating: [], count: min(4, offices.count))
        var batch: [(DossierRecord, [NewPerson])] = []
        var sample: PersonID?
        let slots = PlantedHoneytokens.slots(count: honeytokens, among: size, seed: seed)
        var planted = PlantedHoneytokens()
        var made = 0
        while made < size || planted.dossiers.count < honeytokens {
            let decoy = planted.dossiers.count < honeytokens && (made >= size || slots.contains(made + planted.dossiers.count))
            let o = Int.random(in: 0..<offices.count, using: &rng)
            let (record, young) = try makeFile(office: offices[o], departement: offices[o].territory ?? "75", reserved: decoy, now: now, rng: &rng)
            batch.append((record, [young]))
            if decoy {
                // In no caseload, never the demo's young person.
                planted.dossiers.append(record.id); planted.persons.append(young.record.id)
            } else {
                made += 1
                sample = sample ?? young.record.id
                if o < caseloads.count, record.status == "active", caseloads[o].count < Self.caseloadSize { caseloads[o].append(record.id) }
            }
            if batch.count >= 8_000 {
                try await store.importBatch(batch, by: nil)
                batch = []
                progress(made)
            }
        }
        if !batch.isEmpty { try await store.importBatch(batch, by: nil); progress(size) }
        try await planted.record(into: store, vault: people.vault)
        return Summary(operatorOrg: op.id, offices: offices, caseloads: caseloads, sampleYoung: sample!, dossiers: size,  // size >= 1
                       honeytokens: planted)
    }

    /// One youth file of `office` and its young person; a `reserved` one (a honeytoken's)
    /// carries a reserved surname of the length of the one drawn.
    func makeFile(office: Organisation, departement: String, reserved: Bool, now: Date, rng: inout SplitMix64) throws -> (DossierRecord, NewPerson) {
        var lastName: String?
        if reserved { lastName = FrenchNames.reservedLastName(like: FrenchNames.last.randomElement(using: &rng)!, using: &rng) }  // not empty
        let young = try people.person(departement: departement, ages: 16...25, today: today, lastName: lastName, extra: [
            "nationality": .string(Double.random(in: 0..<1, using: &rng) < 0.88 ? "française" : ["algérienne", "marocaine", "portugaise", "tunisienne", "malienne"].randomElement(using: &rng)!),
        ], rng: &rng)
        let x = Double.random(in: 0..<1, using: &rng)
        let status = x < 0.45 ? "active" : x < 0.5 ? "paused" : "closed"
        let p = Double.random(in: 0..<1, using: &rng)
        var fields: [String: FieldValue] = [
            "enrolledOn": .date(LocalDate(year: today.year - Int.random(in: 0...5, using: &rng), month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...28, using: &rng))!),
            "programme": .text(p < 0.4 ? "cej" : p < 0.8 ? "pacea" : "none"),
            "situation": .text(["school", "training", "employment", "seeking"].randomElement(using: &rng)!),
            "supportActions": .text(["Atelier CV (synthétique)", "Entretien de suivi mensuel (synthétique)", "Aide au permis de conduire (synthétique)"].randomElement(using: &rng)!),
        ]
        if Double.random(in: 0..<1, using: &rng) < 0.05 { fields["healthNotes"] = .text("Suivi médical en cours (synthétique)") }
        if status == "closed" { fields["closedOn"] = .date(LocalDate(year: today.year, month: 1, day: 15)!) }
        let id = DossierID(using: &rng)
        let record = try people.dossier(id: id, type: "youth-file", status: status, organisation: office.id, territory: office.territory,
                                        fields: fields, persons: [PersonLink(role: "young", person: young.record.id)], partners: [], now: now)
        return (record, young)
    }

    /// Plants `count` honeytoken files into an existing registry (one made by `guichet init`
    /// and `guichet import`), each held by one of `offices`: young persons with reserved
    /// surnames, in no caseload, made by the code that makes the generator's files. Written in
    /// one batch with their keyed tags.
    /// - Precondition: `count` ≥ 1 and `offices` is not empty.
    public func plant(_ count: Int, into store: any SyntheticStorage, offices: [Organisation]) async throws -> PlantedHoneytokens {
        precondition(count >= 1 && !offices.isEmpty, "at least one honeytoken, among local offices")
        var rng = SplitMix64(seed: seed)
        let now = Date()
        var planted = PlantedHoneytokens()
        for _ in 0..<count {
            let office = offices.randomElement(using: &rng)!  // not empty
            // An imported office's territory may be no département code: the NIR needs one.
            let known = FrenchDepartements.all.first { $0.code == office.territory }?.code
            let departement = known ?? FrenchDepartements.all.randomElement(using: &rng)!.code  // not empty
            let (record, young) = try PlantedHoneytokens.drawn(profile.retention, now: now, { $0.0 }) {  // as emploi's
                try makeFile(office: office, departement: departement, reserved: true, now: now, rng: &rng)
            }
            planted.pending.append((record, [young]))
            planted.dossiers.append(record.id); planted.persons.append(young.record.id)
        }
        try await planted.write(into: store, vault: people.vault)
        return planted
    }
}

/// Shared helpers of the French generators: persons with valid synthetic identifiers, sealed
/// and indexed exactly as API input would be.
struct SyntheticPeople: Sendable {
    let profile: Profile
    let vault: Vault

    init(profile: Profile, keys: any KeyProvider) {
        self.profile = profile
        self.vault = Vault(profile: profile, keys: keys)
    }

    func seal(_ input: [String: JSON], rng: inout SplitMix64) throws -> NewPerson {
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
        return NewPerson(record: PersonRecord(id: id, version: 1, fields: try vault.seal(values, subject: id.rawValue, key: key), key: wrapped), terms: terms)
    }

    /// A person born in `departement`, aged within `ages`, with the profile's usual fields
    /// (those it does not declare are dropped), plus `extra`.
    func person(departement: String, ages: ClosedRange<Int>, today: LocalDate, lastName: String? = nil, contact: Bool = true,
                extra: [String: JSON] = [:], rng: inout SplitMix64) throws -> NewPerson {
        let female = Bool.random(using: &rng)
        let first = (female ? FrenchNames.female : FrenchNames.male).randomElement(using: &rng)!  // lists are not empty
        let last = lastName ?? FrenchNames.last.randomElement(using: &rng)!
        let year = today.year - Int.random(in: ages, using: &rng)
        let month = Int.random(in: 1...12, using: &rng)
        let birth = LocalDate(year: year, month: month, day: Int.random(in: 1...LocalDate.daysIn(month: month, year: year), using: &rng))!
        let town = FrenchDepartements.all.first { $0.code == departement }?.town ?? "Paris"
        var input: [String: JSON] = [
            "firstName": .string(first), "lastName": .string(last), "birthDate": .string(birth.iso),
            "nir": .string(SyntheticNIR.make(female: female, birthYear: year, birthMonth: month, departement: departement, using: &rng)),
        ]
        if contact {
            input["address"] = .string("\(Int.random(in: 1...180, using: &rng)) \(FrenchNames.streets.randomElement(using: &rng)!), \(town)")
            if Double.random(in: 0..<1, using: &rng) < 0.85 { input["email"] = .string(SyntheticEmail.make(first: first, last: last, n: Int.random(in: 1...9_999, using: &rng))) }
            if Double.random(in: 0..<1, using: &rng) < 0.9 { input["phone"] = .string(SyntheticNIR.phone(using: &rng)) }
        }
        input.merge(extra) { _, b in b }
        return try seal(input, rng: &rng)
    }

    func dossier(id: DossierID, type: String, status: String, organisation: OrganisationID?, territory: String?, fields: [String: FieldValue],
                 persons: [PersonLink], partners: [OrganisationID], now: Date) throws -> DossierRecord {
        let (key, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
        return DossierRecord(id: id, type: type, status: status, organisation: organisation, assignedAgent: nil, territory: territory, version: 1,
                             fields: try vault.seal(fields, subject: id.rawValue, key: key, dossierType: type),
                             persons: persons, partners: partners, createdAt: now, updatedAt: now, key: wrapped)
    }
}
