import Foundation
import GuichetCore
import GuichetStore
import GuichetImport
// The benchmark times the vault's reads and the journal's appends without an HTTP request
// around them, so it calls the gate's own paths: loudly, through the gate's SPI.
@_spi(GateOnly) import GuichetVault
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetPolicy
import GuichetSynth

/// Import of N persons: plaintext (same rows, nothing sealed, plain look-up terms) against the
/// production path (a data key per person wrapped by the KEK, every non-public field sealed
/// with AES-256-GCM, HMAC blind indexes, `Store.importPersons`), and the bulk path of
/// `guichet import --bulk` (the same sealed batches appended to the stage, then moved into the
/// registry in one transaction), then reads of a sample. All run the same pipeline: batch i+1
/// prepared on `WorkPool.sealing` while batch i is written.
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
        /// Of which: waiting for a batch to be sealed (data keys, AES-GCM, blind indexes) or
        /// encoded in clear. Sealing runs on both cores while the previous batch is written:
        /// this is the part the writing did not hide (the first batch of every chunk of 96,000).
        let prepareSeconds: Double
        /// Of which: the database transactions (sealing of the next batch runs meanwhile).
        let writeSeconds: Double
        /// Bulk path only: of the writing, the one transaction that moves the stage into the
        /// registry's tables at the end (``Store/finishStagedImport()``).
        var moveSeconds: Double? = nil
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
        // GUICHET_BENCH_IMPORT_SIZES (persons, comma-separated) replaces the mode's sizes, to
        // look at one size while iterating.
        let sizes = ProcessInfo.processInfo.environment["GUICHET_BENCH_IMPORT_SIZES"]?.split(separator: ",").compactMap { Int($0) }
        for n in sizes ?? plan.importSizes {
            // At 10 M the full mode imports the encrypted variant only: it is what checks the
            // extrapolation to R4's 43 M, and the plaintext side would add most of an hour.
            // At 10 M the full mode imports by the bulk path only (`guichet import --bulk`, what
            // R4's first load would use): the batch-by-batch path took 72 minutes there, and the
            // plaintext side would add most of an hour. GUICHET_BENCH_IMPORT_VARIANTS picks others.
            let only = ProcessInfo.processInfo.environment["GUICHET_BENCH_IMPORT_VARIANTS"]?.split(separator: ",").map(String.init)
            for variant in only ?? (n >= 10_000_000 ? ["bulk"] : ["plaintext", "encrypted", "bulk"]) {
                note("import: \(n) persons, \(variant)")
                points.append(try await run(n, variant))
            }
        }
        return points
    }

    /// Persons generated ahead of the timed part, a chunk at a time (12 batches).
    static let chunk = 12 * batch

    /// One batch ready to write: sealed persons, or rows in clear.
    enum Prepared: Sendable {
        case sealed([NewPerson])
        case plain([PlaintextWriter.Row])
    }

    /// Seals (or encodes in clear) one batch on the sealing pool, one part per thread: the
    /// work `Gate.sealImport` does for `guichet import`, on the same pool.
    static func prepare(_ people: [(PersonID, [String: FieldValue])], plain: Bool, vault: Vault, searchable: [FieldSpec]) async throws -> Prepared {
        let pool = WorkPool.sealing
        let parts = max(1, min(pool.width, people.count / 64))
        let size = (people.count + parts - 1) / parts
        let slices = (0..<parts).map { people[min(people.count, $0 * size)..<min(people.count, ($0 + 1) * size)] }
        if plain {
            let rows = try await withThrowingTaskGroup(of: (Int, [PlaintextWriter.Row]).self) { group in
                for (i, slice) in slices.enumerated() {
                    group.addTask {
                        (i, try await pool.run {
                            slice.map { id, values in
                                PlaintextWriter.Row(id: id.rawValue, fields: Plaintext.encode(values),
                                                    terms: searchable.compactMap { s in values[s.name].map { (s.name, FieldValidation.term($0, type: s.type)) } })
                            }
                        })
                    }
                }
                var out = [[PlaintextWriter.Row]](repeating: [], count: slices.count)
                for try await (i, r) in group { out[i] = r }
                return out.flatMap { $0 }
            }
            return .plain(rows)
        }
        let persons = try await withThrowingTaskGroup(of: (Int, [NewPerson]).self) { group in
            for (i, slice) in slices.enumerated() {
                group.addTask {
                    (i, try await pool.run {
                        let keys = try vault.subjectKeys()
                        return try slice.map { id, values in
                            let (key, wrapped) = try keys.new(subject: id.rawValue)
                            let terms = try searchable.compactMap { s in
                                try values[s.name].map { PersonTerm(field: s.name, term: try vault.blindIndex(field: s.name, term: FieldValidation.term($0, type: s.type))) }
                            }
                            return NewPerson(record: PersonRecord(id: id, version: 1, fields: try vault.seal(values, subject: id.rawValue, key: key), key: wrapped),
                                             terms: terms)
                        }
                    })
                }
            }
            var out = [[NewPerson]](repeating: [], count: slices.count)
            for try await (i, r) in group { out[i] = r }
            return out.flatMap { $0 }
        }
        return .sealed(persons)
    }

    func run(_ n: Int, _ variant: String) async throws -> Point {
        let folder = try freshFolder(work, "import-\(variant)-\(n)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("guichet.sqlite").path
        let store = try Store(path: path)
        let plain = variant == "plaintext" ? try PlaintextWriter(path: path) : nil
        let staged = variant == "bulk"
        store.observeStageMoves { note("import: " + ImportReport.moveLine($0) + String(format: " (%.1f s)", $0.seconds)) }
        let vault = Vault(profile: profile, keys: keys)
        let searchable = profile.personFields.filter(\.searchable)
        var rng = SplitMix64(seed: 43_000_000)
        var sample: [PersonID] = []
        var seconds = 0.0, waiting = 0.0, writing = 0.0
        var done = 0
        let at = Date()
        while done < n {
            // A chunk of synthetic input, generated before the clock starts.
            var batches: [[(PersonID, [String: FieldValue])]] = []
            var count = 0
            while count < Self.chunk && done + count < n {
                let people = people(min(Self.batch, n - done - count), rng: &rng)
                if sample.count < plan.readSample {
                    sample += people.prefix(max(1, plan.readSample * Self.batch / max(n, 1))).map(\.0)
                }
                batches.append(people)
                count += people.count
            }
            // A pipeline, as `guichet import` runs: batch i+1 is sealed on the sealing pool
            // while batch i is written; the batches are written one after the other.
            let t0 = now()
            let isPlain = plain != nil
            var next: Task<Prepared, any Error>? = Task { [batches] in try await Self.prepare(batches[0], plain: isPlain, vault: vault, searchable: searchable) }
            for i in batches.indices {
                let tw = now()
                guard let ready = try await next?.value else { break }
                waiting += Double(now() - tw) / 1e9
                next = i + 1 < batches.count
                    ? Task { [batches] in try await Self.prepare(batches[i + 1], plain: isPlain, vault: vault, searchable: searchable) } : nil
                let tw2 = now()
                switch ready {
                case .plain(let rows): try await plain!.write(rows, at: at)
                case .sealed(let persons):
                    try await store.importPersons(persons, at: at, by: nil, staged: staged)
                }
                writing += Double(now() - tw2) / 1e9
            }
            seconds += Double(now() - t0) / 1e9
            done += count
        }
        var moving: Double?
        if staged {
            let t0 = now()
            try await store.finishStagedImport()
            let s = Double(now() - t0) / 1e9
            note("import: the stage moved into the registry in \(Int(s)) s")
            seconds += s; writing += s; moving = s
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
        return Point(persons: n, variant: variant, seconds: seconds, prepareSeconds: waiting, writeSeconds: writing, moveSeconds: moving,
                     personsPerSecond: Double(n) / seconds, databaseBytes: bytes,
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
