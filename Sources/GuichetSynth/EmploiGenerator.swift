public import GuichetCore
public import GuichetStore
public import GuichetVault
import Foundation

/// Generates a synthetic R4 registry (the job-seeker files of the `emploi` profile): local
/// agencies over a few départements, partner networks for disabled job seekers, one file per
/// job seeker held by an agency, categories and states in plausible proportions. About one
/// file in twelve records a disability; the demo assigns some of those to partner advisers.
public struct EmploiGenerator: Sendable {
    public let profile: Profile
    public let size: Int
    public let seed: UInt64
    public let today: LocalDate
    /// Whether ``Summary/searchKeys`` is filled (the simulator's advisers search by them).
    public var keepSearchKeys = false
    let vault: Vault

    /// - Precondition: the profile declares the `job-seeker` dossier type of `emploi`.
    public init(profile: Profile, keys: any KeyProvider, size: Int, seed: UInt64 = 2024_02_06, today: LocalDate) {
        precondition(profile.dossierTypes["job-seeker"] != nil, "the emploi generator needs the emploi profile")
        self.profile = profile; self.size = size; self.seed = seed; self.today = today
        self.vault = Vault(profile: profile, keys: keys)
    }

    /// What was generated, for the demo accounts and tests.
    public struct Summary: Sendable {
        public let operatorOrg: OrganisationID
        public let agencies: [Organisation]
        public let partnerNetworks: [Organisation]
        /// For each partner network: files of disabled job seekers in its territory, to
        /// assign to its advisers (at most `caseloadSize` each).
        public let partnerCaseloads: [[DossierID]]
        /// For the first agency: some of its files, for an adviser's own caseload.
        public let agencyCaseload: [DossierID]
        /// A job seeker's person, for the demo job-seeker account.
        public let sampleSeeker: PersonID
        public let dossiers: Int
        /// Each file's job seeker's name and birth date, when ``keepSearchKeys`` is set.
        public var searchKeys: [DossierID: SearchKey] = [:]
        /// The honeytoken files planted among them (for tests and the simulator only).
        public var honeytokens = PlantedHoneytokens()
    }

    /// Largest caseload collected per partner network.
    public static let caseloadSize = 40

    /// Writes the registry into `store` in batches, calling `progress` with the count done,
    /// with `honeytokens` honeytoken files planted at random places among the real ones.
    ///
    /// A honeytoken file is made by the same code as a real one (agency, state, dates,
    /// categories, sealed fields of the same lengths), so the database shows it with the same
    /// shape. What sets it apart is sealed or kept only as a keyed tag: its job seeker carries
    /// a surname no real one carries (``FrenchNames/reservedLast``), so no search of real work
    /// by name and birth date returns it, and it is in no caseload. An adviser's normal work
    /// (the caseload, a job seeker who gives their name) never reaches it; a reader going
    /// through files by id from a leaked list, or enumerating identifiers, does.
    public func generate(into store: any SyntheticStorage, honeytokens: Int = 0,
                         progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Summary {
        precondition(size >= 1 && honeytokens >= 0, "at least one real file, and no negative count of honeytokens")
        var rng = SplitMix64(seed: seed)
        let now = Date()
        let op = Organisation(id: OrganisationID(using: &rng), kind: "operator", name: "Opérateur national (synthétique)", territory: nil, capacity: nil)
        let depts = FrenchDepartements.all
        var agencies: [Organisation] = []
        for i in 0..<max(depts.count, min(900, size / 2_000)) {
            let d = depts[i % depts.count]
            agencies.append(Organisation(id: OrganisationID(using: &rng), kind: "agency", name: "Agence \(d.town) \(i / depts.count + 1) (synthétique)",
                                         territory: d.code, capacity: nil))
        }
        let networks = depts.prefix(max(2, min(depts.count, size / 5_000))).map { d in
            Organisation(id: OrganisationID(using: &rng), kind: "partner-network", name: "Réseau handicap et emploi \(d.town) (synthétique)",
                         territory: d.code, capacity: nil)
        }
        try await store.insert(organisations: [op] + agencies + networks, at: now)
        var caseloads = [[DossierID]](repeating: [], count: networks.count)
        var agencyCaseload: [DossierID] = []
        var batch: [(DossierRecord, [NewPerson])] = []
        var writing: Task<Void, any Error>?
        var sample: PersonID?
        var first: PersonID?
        var keys: [DossierID: SearchKey] = [:]
        let slots = PlantedHoneytokens.slots(count: honeytokens, among: size, seed: seed)
        var planted = PlantedHoneytokens()
        var made = 0
        while made < size || planted.dossiers.count < honeytokens {
            let decoy = planted.dossiers.count < honeytokens && (made >= size || slots.contains(made + planted.dossiers.count))
            let agencyIndex = pickAgency(agencies.count, &rng)
            let agency = agencies[agencyIndex]
            let (seeker, key) = try makeSeeker(departement: agency.territory ?? "75", reserved: decoy, rng: &rng)
            let (record, disabled) = try makeDossier(seeker: seeker.record.id, agency: agency, now: now, rng: &rng)
            batch.append((record, [seeker]))
            if decoy {
                // In no caseload, never the demo's job seeker, not among the search keys.
                planted.dossiers.append(record.id); planted.persons.append(seeker.record.id)
            } else {
                made += 1
                // The demo's job seeker: one still registered (a file left years ago is erased by
                // the first retention run), else the first made.
                first = first ?? seeker.record.id
                if sample == nil, record.status == "registered" { sample = seeker.record.id }
                if disabled, record.status != "deregistered", let n = networks.firstIndex(where: { $0.territory == agency.territory }),
                   caseloads[n].count < Self.caseloadSize {
                    caseloads[n].append(record.id)
                } else if agencyIndex == 0, record.status == "registered", agencyCaseload.count < Self.caseloadSize {
                    agencyCaseload.append(record.id)
                }
                if keepSearchKeys { keys[record.id] = key }
            }
            if batch.count >= 8_000 {
                let full = batch, count = made
                batch = []
                try await writing?.value
                writing = Task { try await store.importBatch(full, by: nil); progress(count) }
            }
        }
        try await writing?.value
        if !batch.isEmpty { try await store.importBatch(batch, by: nil); progress(size) }
        try await planted.record(into: store, vault: vault)
        return Summary(operatorOrg: op.id, agencies: agencies, partnerNetworks: networks, partnerCaseloads: caseloads,
                       agencyCaseload: agencyCaseload, sampleSeeker: (sample ?? first)!, dossiers: size, searchKeys: keys,  // size >= 1 makes one seeker
                       honeytokens: planted)
    }

    /// Agencies weighted by their département's share of job seekers.
    func pickAgency(_ count: Int, _ rng: inout SplitMix64) -> Int {
        let depts = FrenchDepartements.all
        var x = Double.random(in: 0..<1, using: &rng)
        var dept = 0
        for (i, d) in depts.enumerated() { x -= d.weight; if x < 0 { dept = i; break } }
        let perDept = max(1, count / depts.count)
        return min(count - 1, dept + depts.count * Int.random(in: 0..<perDept, using: &rng))
    }

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

    /// A job seeker; a `reserved` one (a honeytoken's) carries a reserved surname of the
    /// lengths of the real one drawn.
    func makeSeeker(departement: String, reserved: Bool = false, rng: inout SplitMix64) throws -> (NewPerson, SearchKey) {
        let female = Bool.random(using: &rng)
        let first = (female ? FrenchNames.female : FrenchNames.male).randomElement(using: &rng)!  // lists are not empty
        let drawn = FrenchNames.last.randomElement(using: &rng)!
        let last = reserved ? FrenchNames.reservedLastName(like: drawn, using: &rng) : drawn
        let year = Int.random(in: (today.year - 64)...(today.year - 16), using: &rng)
        let month = Int.random(in: 1...12, using: &rng)
        let birth = LocalDate(year: year, month: month, day: Int.random(in: 1...LocalDate.daysIn(month: month, year: year), using: &rng))!
        let town = FrenchDepartements.all.first { $0.code == departement }?.town ?? "Paris"
        let registry = String(format: "%07d", Int.random(in: 0...9_999_999, using: &rng)) + String("ABCDEFGHJKLMNPRSTUVWXYZ".randomElement(using: &rng)!)
        var input: [String: JSON] = [
            "firstName": .string(first), "lastName": .string(last), "birthDate": .string(birth.iso),
            "nir": .string(SyntheticNIR.make(female: female, birthYear: year, birthMonth: month, departement: departement, using: &rng)),
            "registryId": .string(registry),
            "address": .string("\(Int.random(in: 1...180, using: &rng)) \(FrenchNames.streets.randomElement(using: &rng)!), \(town)"),
        ]
        if Double.random(in: 0..<1, using: &rng) < 0.85 {
            input["email"] = .string(SyntheticEmail.make(first: first, last: last, n: Int.random(in: 1...9_999, using: &rng)))
        }
        if Double.random(in: 0..<1, using: &rng) < 0.9 { input["phone"] = .string(SyntheticNIR.phone(using: &rng)) }
        return (try person(input, rng: &rng), SearchKey(lastName: last, birthDate: birth))
    }

    func makeDossier(seeker: PersonID, agency: Organisation, now: Date, rng: inout SplitMix64) throws -> (DossierRecord, Bool) {
        let x = Double.random(in: 0..<1, using: &rng)
        // Most of the base is people long gone from the registry (R4: 20 years kept online).
        let status = x < 0.30 ? "registered" : x < 0.34 ? "suspended" : "deregistered"
        let registeredYear = Int.random(in: (today.year - 20)...today.year, using: &rng)
        let registered = LocalDate(year: registeredYear, month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...28, using: &rng))!
        let disabled = Double.random(in: 0..<1, using: &rng) < 0.08
        let c = Double.random(in: 0..<1, using: &rng)
        var fields: [String: FieldValue] = [
            "registeredOn": .date(min(registered, today)),
            "category": .text(c < 0.55 ? "A" : c < 0.75 ? "B" : c < 0.9 ? "C" : c < 0.96 ? "D" : "E"),
            "targetJob": .text(FrenchNames.jobs.randomElement(using: &rng)!),
        ]
        if disabled {
            fields["disability"] = .boolean(true)
            fields["supportNeeds"] = .text(["Poste adapté (synthétique)", "Temps partiel thérapeutique (synthétique)",
                                            "Accessibilité des locaux (synthétique)"].randomElement(using: &rng)!)
        }
        if Double.random(in: 0..<1, using: &rng) < 0.6 { fields["benefitRights"] = .text("ARE, reliquat synthétique de \(Int.random(in: 10...700, using: &rng)) jours") }
        if status != "deregistered" { fields["lastContact"] = .date(LocalDate(year: today.year, month: max(1, today.month - Int.random(in: 0...3, using: &rng)), day: 1)!) }
        // A file left on deregistration: its last change is that day, after the registration (an
        // audit of R4: files deregistered in 2014 carried today as their last change, so
        // retention never reached them, and some were deregistered before they were registered).
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!  // always known
        func noon(_ d: LocalDate) -> Date { min(now, calendar.date(from: DateComponents(year: d.year, month: d.month, day: d.day, hour: 12)) ?? now) }
        let created = noon(min(registered, today))
        var lastChange = now
        if status == "deregistered" {
            let june = LocalDate(year: registeredYear + Int.random(in: 1...3, using: &rng), month: 6, day: 30)!  // a valid day
            let left = min(today, max(min(registered, today), june))
            fields["deregisteredOn"] = .date(left)
            lastChange = noon(left)
        }
        let id = DossierID(using: &rng)
        let (key, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
        return (DossierRecord(id: id, type: "job-seeker", status: status, organisation: agency.id, assignedAgent: nil, territory: agency.territory,
                              version: 1, fields: try vault.seal(fields, subject: id.rawValue, key: key, dossierType: "job-seeker"),
                              persons: [PersonLink(role: "seeker", person: seeker)], partners: [], createdAt: created, updatedAt: lastChange, key: wrapped), disabled)
    }
}

extension EmploiGenerator {
    /// Plants `count` honeytoken files into an existing registry (one made by `guichet init`
    /// and `guichet import`), each held by one of `agencies`: job seekers with reserved
    /// surnames, in no caseload, made by the code that makes the generator's files. Written
    /// in one batch with their keyed tags.
    ///
    /// Their shape follows this generator's registry, not the imported one (docs/DETECTION.md).
    /// - Precondition: `count` ≥ 1 and `agencies` is not empty.
    public func plant(_ count: Int, into store: any SyntheticStorage, agencies: [Organisation]) async throws -> PlantedHoneytokens {
        precondition(count >= 1 && !agencies.isEmpty, "at least one honeytoken, among agencies")
        var rng = SplitMix64(seed: seed)
        let now = Date()
        var planted = PlantedHoneytokens()
        for _ in 0..<count {
            let agency = agencies.randomElement(using: &rng)!  // not empty
            // An imported agency's territory may be no département code: the NIR needs one.
            let known = FrenchDepartements.all.first { $0.code == agency.territory }?.code
            let departement = known ?? FrenchDepartements.all.randomElement(using: &rng)!.code  // not empty
            let (seeker, _) = try makeSeeker(departement: departement, reserved: true, rng: &rng)
            // A decoy retention would archive or erase soon is drawn again: its run would name
            // it among few or no real files.
            let (record, _) = try PlantedHoneytokens.drawn(profile.retention, now: now, { $0.0 }) {
                try makeDossier(seeker: seeker.record.id, agency: agency, now: now, rng: &rng)
            }
            planted.pending.append((record, [seeker]))
            planted.dossiers.append(record.id); planted.persons.append(seeker.record.id)
        }
        try await planted.write(into: store, vault: vault)
        return planted
    }
}
