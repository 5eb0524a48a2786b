import Foundation
import GuichetCore
import GuichetStore
// The benchmark times the vault's reads and the journal's appends without an HTTP request
// around them, so it calls the gate's own paths: loudly, through the gate's SPI.
@_spi(GateOnly) import GuichetVault
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetPolicy
import GuichetSynth

/// Import of N persons: plaintext (same rows, nothing sealed, plain look-up terms) against the
/// production path (a data key per person wrapped by the KEK, every non-public field sealed
/// with AES-256-GCM, HMAC blind indexes, `Store.importPersons`), then reads of a sample.
struct ImportBench {
    let profile: Profile
    let keys: any KeyProvider
    let work: URL
    let plan: Plan
    static let batch = 8_000

    struct Point: Codable {
        let persons: Int
        let variant: String
        /// Seconds of sealing/encoding and writing (generating the synthetic input excluded).
        let seconds: Double
        /// Of which: sealing (data keys, AES-GCM, blind indexes) or encoding in clear.
        let prepareSeconds: Double
        /// Of which: the database transactions.
        let writeSeconds: Double
        let personsPerSecond: Double
        let databaseBytes: Int64
        let readSample: Int
        let readsPerSecond: Double
        let readP50Micros: Double
        let readP99Micros: Double
    }

    /// Synthetic person values, validated as API input is (not timed).
    func people(_ count: Int, rng: inout SplitMix64) -> [(PersonID, [String: FieldValue])] {
        (0..<count).map { _ in
            let female = Bool.random(using: &rng)
            let first = (female ? QuebecNames.adultFemaleFirstNames : QuebecNames.adultMaleFirstNames).randomElement(using: &rng)!
            let last = QuebecNames.lastNames.randomElement(using: &rng)!
            let region = QuebecRegions.all.randomElement(using: &rng)!
            let (y, m, d) = (Int.random(in: 1950...2006, using: &rng), Int.random(in: 1...12, using: &rng), Int.random(in: 1...28, using: &rng))
            let input: [String: JSON] = [
                "firstName": .string(first), "lastName": .string(last),
                "birthDate": .string(LocalDate(year: y, month: m, day: d)!.iso),
                "address": .string("\(Int.random(in: 1...9999, using: &rng)) \(StreetNames.all.randomElement(using: &rng)!), \(region.cities.randomElement(using: &rng)!), QC"),
                "nam": .string(NAM.make(lastName: last, firstName: first, birthYear: y, birthMonth: m, birthDay: d, female: female,
                                        sequence: Int.random(in: 0...99, using: &rng))),
                "email": .string(SyntheticEmail.make(first: first, last: last, n: Int.random(in: 1...99_999, using: &rng))),
                "phone": .string(QuebecPhone.make(region: region.code, using: &rng)),
            ]
            var values: [String: FieldValue] = [:]
            for (name, json) in input {
                guard let spec = profile.personField(name) else { continue }
                // The vocabulary builds valid values; a failure is a bug in this benchmark.
                values[name] = try! FieldValidation.value(json, for: spec, path: name)
            }
            return (PersonID(using: &rng), values)
        }
    }

    func run() async throws -> [Point] {
        var points: [Point] = []
        for n in plan.importSizes {
            // At 10 M the full mode imports the encrypted variant only: it is what checks the
            // extrapolation to R4's 43 M, and the plaintext side would add most of an hour.
            for variant in n >= 10_000_000 ? ["encrypted"] : ["plaintext", "encrypted"] {
                note("import: \(n) persons, \(variant)")
                points.append(try await run(n, variant))
            }
        }
        return points
    }

    func run(_ n: Int, _ variant: String) async throws -> Point {
        let folder = try freshFolder(work, "import-\(variant)-\(n)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("guichet.sqlite").path
        let store = try Store(path: path)
        let plain = variant == "plaintext" ? try PlaintextWriter(path: path) : nil
        let vault = Vault(profile: profile, keys: keys)
        let searchable = profile.personFields.filter(\.searchable)
        var rng = SplitMix64(seed: 43_000_000)
        var sample: [PersonID] = []
        var seconds = 0.0, prepare = 0.0
        var done = 0
        let at = Date()
        while done < n {
            let people = people(min(Self.batch, n - done), rng: &rng)
            if sample.count < plan.readSample {
                sample += people.prefix(max(1, plan.readSample * Self.batch / max(n, 1))).map(\.0)
            }
            let t0 = now()
            if let plain {
                let rows = people.map { id, values in
                    PlaintextWriter.Row(id: id.rawValue, fields: Plaintext.encode(values),
                                        terms: searchable.compactMap { s in values[s.name].map { (s.name, FieldValidation.term($0, type: s.type)) } })
                }
                prepare += Double(now() - t0) / 1e9
                try await plain.write(rows, at: at)
            } else {
                let persons = try people.map { id, values in
                    let (key, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
                    let terms = try searchable.compactMap { s in
                        try values[s.name].map { PersonTerm(field: s.name, term: try vault.blindIndex(field: s.name, term: FieldValidation.term($0, type: s.type))) }
                    }
                    return NewPerson(record: PersonRecord(id: id, version: 1, fields: try vault.seal(values, subject: id.rawValue, key: key), key: wrapped),
                                     terms: terms)
                }
                prepare += Double(now() - t0) / 1e9
                try await store.importPersons(persons, at: at, by: nil)
            }
            seconds += Double(now() - t0) / 1e9
            done += people.count
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        let reads = Array(sample.shuffled().prefix(plan.readSample))
        var latencies: [Double] = []
        latencies.reserveCapacity(reads.count)
        let readStart = now()
        if let plain {
            for id in reads {
                let t0 = now()
                let fields = try await plain.read(id.rawValue)
                precondition(fields.count >= 6, "a plaintext person lost fields")
                latencies.append(Double(now() - t0) / 1e3)
            }
        } else {
            // One journal entry naming every sampled person mints the receipt the vault needs,
            // as the gate does before it opens anything (outside the timed loop).
            let receiptDossier = DossierID()
            let receipt = try await readReceipt(store, dossier: receiptDossier, persons: reads)
            for id in reads {
                let t0 = now()
                guard let record = try await store.persons([id])[id] else { throw BenchError("an imported person is missing") }
                let fields = try vault.open(person: record, role: "person", revealing: receipt.fields[receiptDossier] ?? [])
                precondition(fields.count >= 6, "an encrypted person lost fields")
                latencies.append(Double(now() - t0) / 1e3)
            }
        }
        let readSeconds = Double(now() - readStart) / 1e9
        latencies.sort()
        return Point(persons: n, variant: variant, seconds: seconds, prepareSeconds: prepare, writeSeconds: seconds - prepare, personsPerSecond: Double(n) / seconds, databaseBytes: bytes,
                     readSample: reads.count, readsPerSecond: Double(reads.count) / readSeconds,
                     readP50Micros: quantile(latencies, 0.5), readP99Micros: quantile(latencies, 0.99))
    }

    /// A durable journal entry for the sampled reads, and the receipt it yields.
    func readReceipt(_ store: Store, dossier: DossierID, persons: [PersonID]) async throws -> AccessReceipt {
        let journal = AccessJournal(store: store)
        let subject = Subject(account: AccountID(), role: "agent", organisation: OrganisationID(), person: nil, territory: nil)
        let facts = DossierFacts(type: "application", status: "waiting", organisation: nil, assignedAgent: nil, territory: nil, persons: [], partners: [])
        guard let grant = Policy(profile: profile).decide(subject, .read, facts, purpose: "list-management").grant else {
            throw BenchError("the place05 agent may not read: the read benchmark needs its rule")
        }
        let fields = profile.personFields.map { "person.\($0.name)" }
        let context = AccessContext(requestID: "benchmark-read", subject: subject, session: nil, source: nil, purpose: "list-management", at: Date())
        return try await journal.recordDisclosure([AllowedAccess(dossier: dossier, rules: grant.rules, breakGlass: false, persons: persons, fields: fields)],
                                               action: .read, context: context)
    }
}
