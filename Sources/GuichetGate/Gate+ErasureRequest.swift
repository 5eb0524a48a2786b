public import GuichetCore
@_spi(GateOnly) import GuichetLedger
import Logging
import GuichetWatch
import GuichetStore
public import GuichetAuth
import GuichetMerkle
@_spi(GateOnly) import GuichetVault
public import Foundation

/// What a citizen receives when their erasure request (GDPR art. 17) is carried out: which of
/// their fields and which dossiers were erased, and the ledger entry that proves it. Names and
/// identifiers only, never a value.
public struct ErasureReceipt: Sendable, Equatable, Codable {
    /// The request's id.
    public let request: String
    public let person: PersonID
    /// The officer's case reference.
    public let reference: String
    /// When, to the second (as the receipt's JSON gives it).
    public let erasedAt: Date
    /// The person's fields erased (their data key destroyed: every version of them too).
    public let fields: [String]
    /// Dossiers erased whole, because every person they link is now erased.
    public let dossiers: [DossierID]
    /// Dossiers that link the person and stay (another person they link is not erased); the
    /// person's fields in them are gone all the same.
    public let keptDossiers: [DossierID]
    /// The ledger entry (`erasure`) that records the erasure: check it with an inclusion proof.
    public let ledgerIndex: Int64
    /// What is kept for a legal duty (GDPR art. 17(3)(b)), per dossier, with the legal ground
    /// and until when; absent from receipts made before fields could be kept.
    public let kept: [Kept]?

    /// Fields of one dossier kept for a legal duty.
    public struct Kept: Sendable, Equatable, Codable {
        public let dossier: DossierID
        /// Paths: the dossier's own fields and the person's (`seeker.registryId`).
        public let fields: [String]
        /// The legal ground, per language.
        public let ground: [String: String]
        public let until: Date
    }

    /// The receipt as canonical JSON (sorted keys, ISO 8601 times).
    public func json() throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return String(decoding: try e.encode(self), as: UTF8.self)
    }

    /// Reads a receipt back from its JSON.
    public init(json: String) throws {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        self = try d.decode(ErasureReceipt.self, from: Data(json.utf8))
    }

    init(request: String, person: PersonID, reference: String, erasedAt: Date, fields: [String], dossiers: [DossierID],
         keptDossiers: [DossierID], ledgerIndex: Int64, kept: [Kept]) {
        self.request = request; self.person = person; self.reference = reference; self.erasedAt = erasedAt; self.fields = fields
        self.dossiers = dossiers; self.keptDossiers = keptDossiers; self.ledgerIndex = ledgerIndex; self.kept = kept
    }

    /// The end of the ledger entry's reason that names the kept paths ("" when none).
    static func keptNote(_ paths: some Sequence<String>) -> String {
        let sorted = Set(paths).sorted()
        return sorted.isEmpty ? "" : "; kept for a legal duty: \(sorted.joined(separator: ", "))"
    }
}

extension Gate {
    /// Checks a case reference: 3 to 64 letters, digits, `-`, `/` or `.` (never a personal value).
    static func checkReference(_ reference: String) throws {
        guard reference.count >= 3, reference.count <= 64,
              reference.unicodeScalars.allSatisfy({ ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "-/.".unicodeScalars.contains($0) }) else {
            throw GuichetError.invalid("'reference' is 3 to 64 letters, digits, '-', '/' or '.'")
        }
    }

    /// Refuses a reference that holds a national identifier of one of the profile's formats,
    /// or a whole date: a reference stays in the ledger, which is never erased, and in an
    /// erasure's receipt (a lifecycle audit answered a request under the person's own NAM, and
    /// another under a name and a birth date). A name cannot be told from a case number; the
    /// docs ask for the case number.
    func checkReferenceHoldsNoIdentifier(_ reference: String) throws {
        let parts = reference.split(whereSeparator: { "-/.".contains($0) }).map(String.init)
        let formats = Set(profile.personFields.compactMap { spec -> NationalIDFormat? in
            if case .nationalID(let format) = spec.type { return format } else { return nil }
        })
        for format in formats {
            let spec = FieldSpec(name: "reference", type: .nationalID(format: format), classification: .nationalID)
            for candidate in [reference] + parts where (try? FieldValidation.value(.string(candidate), for: spec, path: "reference")) != nil {
                throw GuichetError.invalid("'reference' looks like a national identifier (\(format.rawValue)): give the case number, never the person's identifier, which would stay in the ledger")
            }
        }
        for i in parts.indices.dropLast(2) where parts[i].count == 4 && parts[i + 1].count == 2 && parts[i + 2].count == 2
            && LocalDate(iso: parts[i...i + 2].joined(separator: "-")) != nil {
            throw GuichetError.invalid("'reference' holds a date: give the case number, never a birth date, which would stay in the ledger")
        }
    }

    /// Carries out a citizen's erasure request, recorded by an officer of a role the profile's
    /// `retention.erasure.roles` names: journals an `erasure` entry naming the person and the
    /// dossiers erased whole, then destroys the person's data key and search terms, and the
    /// data key of every dossier of theirs whose other persons are all erased.
    ///
    /// An erasure cannot be undone, so it counts against the officer's ceiling of changes, each
    /// dossier of the person once (DETECTION.md, "The ceiling of changes"): a stolen officer's
    /// account erases a handful of persons, then owes a fresh second factor and `justification`,
    /// then is throttled and suspended, like any account that changes files.
    /// - Throws: 403 for a role that may not record erasures or without a second factor, or
    ///   past the ceiling of changes (nothing erased); 404 when the person is unknown or already
    ///   erased; 400 for a bad reference; 503 when the erasure cannot be journalled (nothing is erased).
    public func eraseOnRequest(person: PersonID, reference: String, _ officer: Principal, requestID: String, source: String? = nil,
                               justification: String? = nil) async throws -> ErasureReceipt {
        defer { changes.bump() }
        guard profile.retention.erasureOfficers.contains(officer.role) else {
            throw GuichetError.forbidden("your role may not record erasure requests")
        }
        guard officer.mayReachPersonalData else { throw GuichetError.forbidden("a second factor is required") }
        try Self.checkReference(reference)
        try checkReferenceHoldsNoIdentifier(reference)
        guard let record = try await store.persons([person])[person], record.key != nil else { throw GuichetError.notFound }
        let fields = try sealing { try vault.keys(record.fields) }.filter { profile.personField($0)?.classification != .public }.sorted()
        // Dossiers erased already (by retention, or as another person's) are neither erased
        // again nor kept again (a lifecycle audit: a receipt named a file retention had erased,
        // and its kept fields were sealed a second time with a new term).
        let linked = try await store.dossiers(try await store.dossierIDs(linking: person)).filter { $0.key != nil }
        let others = try await store.persons(linked.flatMap(\.persons).map(\.person).filter { $0 != person })
        let whole = linked.filter { d in d.persons.allSatisfy { $0.person == person || others[$0.person]?.key == nil } }.map(\.id)
        let id = UUID().uuidString.lowercased()
        let now = clock()
        // What the profile keeps for a legal duty: the person's kept fields in each of their
        // dossiers, and the dossier's own for those erased whole, sealed under their own keys.
        let kept = try keptFields(linked, persons: [person: record], dossierFields: { whole.contains($0) }, at: now)
        let keptNames = Set(kept.flatMap(\.paths).filter { $0.contains(".") }.compactMap { $0.split(separator: ".").last.map(String.init) })
        let erasedFields = fields.filter { !keptNames.contains($0) }
        var request = GateRequest(principal: officer, requestID: requestID, source: source, purpose: nil)
        request.justification = justification
        try await watchAccesses(linked.map { AllowedAccess(dossier: $0.id, rules: ["retention.erasure"], breakGlass: false, persons: [person], fields: []) },
                                action: .update, discloses: false, request)
        let ctx = AccessContext(requestID: requestID, subject: officer.subject, session: officer.session, source: source, purpose: nil, at: now)
        let index: Int64
        do {
            index = try await journal.recordSystemEvent("erasure", reason: "erasure request \(id): \(erasedFields.joined(separator: ", "))"
                                                            + ErasureReceipt.keptNote(kept.flatMap(\.paths)),
                                                        persons: [person], dossiers: whole, context: ctx)
        } catch { throw GuichetError.unavailable("the erasure could not be recorded, so nothing was erased") }
        let erased = try await store.erase(person: person, dossiers: whole, at: now, kept: kept.map(\.record))
        await recordErasures([person.rawValue] + erased.map(\.rawValue))
        let types = Dictionary(linked.map { ($0.id, $0.type) }) { a, _ in a }
        let keptList = kept.map { k in
            ErasureReceipt.Kept(dossier: k.record.dossier, fields: k.paths, ground: types[k.record.dossier].flatMap { profile.retention.kept[$0]?.ground } ?? [:],
                                until: k.record.keptUntil)
        }
        let receipt = ErasureReceipt(request: id, person: person, reference: reference, erasedAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)),
                                     fields: erasedFields, dossiers: erased, keptDossiers: linked.map(\.id).filter { !erased.contains($0) },
                                     ledgerIndex: index, kept: keptList)
        try await store.insertErasureRequest(ErasureRequestRecord(id: id, person: person, recordedBy: officer.account, reference: reference,
                                                                  recordedAt: now, ledgerIndex: index, receipt: try receipt.json()))
        // One officer erases (issue 20), and cannot undo it: every erasure is an alert in the
        // security officers' queue, naming the officer, so that one nobody expected is seen at
        // once (an attacker test erased a person and no alert followed). The erasure is done:
        // an alert that cannot be queued does not fail it.
        do {
            try await watch?.raise(officer.account, detector: "person-erased", severity: .medium,
                                   detail: "erasure request \(id) carried out: the person's data key was destroyed", at: now)
        } catch {
            logger.error("the alert of an erasure could not be queued", metadata: ["request": .string(requestID)])
        }
        return receipt
    }

    /// A receipt as stored, by request id.
    public func erasureReceipt(_ id: String) async throws -> ErasureReceipt? {
        try await store.erasureRequest(id).map { try ErasureReceipt(json: $0.receipt) }
    }

    /// Checks a receipt against the ledger: the entry it cites is in the tree of the latest
    /// signed checkpoint (inclusion proof, RFC 9162 §2.1.3), is an `erasure` of this person,
    /// and names the dossiers the receipt says were erased.
    /// - Returns: false when any of this does not hold (or no checkpoint covers the entry yet).
    public func verifyErasureReceipt(_ receipt: ErasureReceipt) async throws -> Bool {
        guard let (_, checkpoint) = try await auditor.latestCheckpoint(), UInt64(receipt.ledgerIndex) < checkpoint.size else { return false }
        guard let (entry, proof) = try? await auditor.inclusion(index: receipt.ledgerIndex, size: Int64(checkpoint.size)) else { return false }
        do { try proof.verify(leafHash: MerkleHash.leaf(entry), rootHash: checkpoint.rootHash) } catch { return false }
        guard let object = try? JSONSerialization.jsonObject(with: entry) as? [String: Any] else { return false }
        return object["action"] as? String == "erasure"
            && object["persons"] as? [String] == [receipt.person.rawValue]
            && Set(object["dossiers"] as? [String] ?? []) == Set(receipt.dossiers.map(\.rawValue))
            && (object["reason"] as? String)?.hasPrefix("erasure request \(receipt.request):") == true
            && Self.namesKept(object["reason"] as? String ?? "", ErasureReceipt.keptNote((receipt.kept ?? []).flatMap(\.fields)))
    }

    /// Whether an erasure entry's reason names exactly the kept paths of the receipt (none: no note).
    static func namesKept(_ reason: String, _ note: String) -> Bool {
        note.isEmpty ? !reason.contains("; kept for a legal duty: ") : reason.hasSuffix(note)
    }
}
