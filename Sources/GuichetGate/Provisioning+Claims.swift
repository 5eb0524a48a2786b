public import GuichetCore
public import GuichetAuth
import GuichetStore
@_spi(GateOnly) import GuichetPolicy
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetVault
import GuichetWatch
import Logging
public import GuichetMail
public import Foundation
import Synchronization

/// Claim codes (issue 16, item 3): staff of the office that holds a person's file, or the
/// operator at the console, issue a one-time code for that person; with it, the person makes a
/// citizen account linked to their existing person, never a second one. Issuing and claiming
/// are journalled under the person.
///
/// A code asked by a staff member goes to the person's own e-mail address when the person has
/// one on file and a relay is configured: the staff member never holds it, and cannot become
/// the person. Otherwise it is shown once for the office's letter, and a claim by the issuing
/// account, or from the address it was issued from, is refused. Each issue by staff is an
/// alert of the watch (`claim-code-issued`, info); past ``claimCodeLimits`` issuance is
/// refused (`claim-code-limit`, high); a claim soon after its issue, or from the issuer's
/// network, is an alert naming the issuer (`claim-near-issuer`, medium).
///
/// Whoever holds a code makes an account that reads every file the person is on: so issuing
/// one counts the persons of those files against the issuing account's ceiling of persons
/// (``Gate/watchClaim(_:_:)``), as reading them would, and a breach scope of the account lists
/// the codes it issued and the accounts that claimed them (``BreachScope/claimCodes``).
extension Provisioning {
    /// The claim codes one staff account may issue: five in ten minutes, twenty in a day
    /// (counted in the database, so every server sees them). Past either, issuance is refused
    /// and the security officers are alerted. Not settable per role yet.
    public static let claimCodeLimits: [(count: Int, window: TimeInterval, name: String)] = [
        (5, 600, "10 minutes"), (20, 86_400, "day"),
    ]
    /// A claim this soon after its code was issued raises an alert naming the issuer.
    public static let claimSoonAfterIssue: TimeInterval = 600

    /// A claim code for a person, asked by a staff member who may change one of the person's
    /// dossiers (a partner or a citizen may not). The person must have no account yet.
    /// - Returns: how the code goes to the person: by e-mail to their address on file (the
    ///   caller never sees the code), or shown once for a letter.
    /// - Throws: ``GuichetError/notFound`` when the caller may not see the person (journalled);
    ///   ``GuichetError/forbidden(_:)`` when they may see but not change them, are not staff,
    ///   or issued ``claimCodeLimits`` codes already (alerted); ``GuichetError/conflict(_:)``
    ///   when the person has an account; ``GuichetError/unavailable(_:)`` when the relay
    ///   refuses the message.
    public func issueClaim(for person: PersonID, _ r: GateRequest) async throws -> ClaimDelivery {
        try gate.checkPurpose(r)
        let subject = r.principal.subject
        let dossiers = try await linkedDossiers(person)
        var readable = false
        var through: DossierRecord?
        // Only a file in use (not archived, not erased) lets staff issue a code: a code for a
        // person whose files are all archived gave one agent, alone, an account holding that
        // person, around the archive's two-person read and, after retention erased the files,
        // around their erasure too (a controls audit, 7 December).
        var archived = false
        for d in dossiers {
            guard d.lifecycle == nil else {
                archived = archived || gate.policy.decide(subject, .read, d.facts, purpose: r.purpose).grant != nil
                continue
            }
            if gate.policy.decide(subject, .read, d.facts, purpose: r.purpose).grant != nil { readable = true }
            if gate.policy.decide(subject, .update, d.facts, purpose: r.purpose).grant != nil { through = d; break }
        }
        guard r.principal.kind == .staff, let through else {
            if archived && !readable && r.principal.kind == .staff {
                try await gate.refuse(.forbidden("this person's files are archived: a claim code needs a file in use (an archived file is read only after a request another account approves)"),
                                      reason: "claim-code-archived", action: .update, dossiers: [], r)
            }
            let error: GuichetError = readable ? .forbidden("only staff who may change this person's file issue a claim code") : .notFound
            try await gate.refuse(error, reason: readable ? "claim-code-not-allowed" : "no-rule", action: .update, dossiers: [], r)
        }
        if try await store.personHasAccount(person) {
            throw GuichetError.conflict("this person already has an account: it signs in, or resets its password")
        }
        try checkMayHoldAccount(person, in: dossiers)
        try await checkClaimLimits(through.id, r)
        try await gate.watchClaim(dossiers, r)
        // The code is drawn first, its limits counted with its insert (codes asked at once on
        // one server or several all passed the count above, and a containment audit got 15 in
        // a burst against 5): past one, refused as above, and nothing journalled as issued. A
        // code drawn then not journalled below reaches nobody, and counts.
        let now = gate.clock()
        let issued: ClaimIssued
        do {
            issued = try await auth.issueClaim(for: person, by: r.principal.account, from: r.source,
                                               limits: Self.claimCodeLimits.map { (count: $0.count, since: now.addingTimeInterval(-$0.window)) })
        } catch StoreError.limitReached(let i) where Self.claimCodeLimits.indices.contains(i) {
            try await refuseClaimLimit(Self.claimCodeLimits[i], through.id, r)
        }
        do {
            // Every file the code opens is named, so that a breach scope of the issuing account
            // lists them (``BreachScope/claimCodes``).
            try await gate.journal.recordSystemEvent(ClaimEntry.issueAction, reason: "claim code issued", persons: [person], dossiers: dossiers.map(\.id),
                                                     context: gate.context(r))
        } catch {
            throw GuichetError.unavailable("the claim code could not be recorded in the ledger or its address opened, so none was issued")
        }
        let address = try await claimAddress(of: person, in: through, r)
        // Before the code is handed out: a watch that cannot record the alert leaves a code
        // nobody holds (125 random bits, never shown nor sent), as a journal that fails above.
        try await gate.watch?.raise(r.principal.account, detector: "claim-code-issued", severity: .info,
                                    detail: "this account issued a claim code (\(address == nil ? "shown to it for a letter" : "sent to the person's address"))",
                                    at: gate.clock())
        return try await auth.deliverClaim(issued, mailingTo: address)
    }

    /// The dossiers that link a person (at most ``Gate/maxLinksPerPerson``).
    func linkedDossiers(_ person: PersonID) async throws -> [DossierRecord] {
        try await store.dossiers(Array(try await store.dossierIDs(linking: person).prefix(Gate.maxLinksPerPerson)))
    }

    /// Refuses a claim code for a person linked to files only in roles the profile declares
    /// `account: false` (place05's child): the account would read the files and their history
    /// in the child's name. A person linked to no file is not refused (nothing says what they are).
    func checkMayHoldAccount(_ person: PersonID, in dossiers: [DossierRecord]) throws {
        let links = dossiers.flatMap { d in d.persons.filter { $0.person == person }.map { (type: d.type, role: $0.role) } }
        guard !profile.mayHoldAccount(links: links) else { return }
        throw GuichetError.conflict("a claim code makes an account, and this person is linked to files only as "
                                    + "\(Set(links.map(\.role)).sorted().joined(separator: " and ")), who holds no account in this profile")
    }

    /// Refuses a staff member's claim code past ``claimCodeLimits`` (journalled), with an
    /// alert for the security officers.
    func checkClaimLimits(_ dossier: DossierID, _ r: GateRequest) async throws {
        let account = r.principal.account, now = gate.clock()
        for limit in Self.claimCodeLimits {
            guard try await auth.claimsIssued(by: account, since: now.addingTimeInterval(-limit.window)) >= limit.count else { continue }
            try await refuseClaimLimit(limit, dossier, r)
        }
    }

    /// The refusal of a claim code past one of ``claimCodeLimits``: alerted and journalled.
    func refuseClaimLimit(_ limit: (count: Int, window: TimeInterval, name: String), _ dossier: DossierID, _ r: GateRequest) async throws -> Never {
        try await gate.watch?.raise(r.principal.account, detector: "claim-code-limit", severity: .high,
                                    detail: "the account asked for more than \(limit.count) claim codes \(WatchWindow.within(limit.name)); refused", at: gate.clock())
        try await gate.refuse(.forbidden("you have issued \(limit.count) claim codes \(WatchWindow.lately(limit.name)), the limit of an account: "
                                         + "the security officers are told; ask one of them if more are needed"),
                              reason: "claim-code-limit", action: .update, dossiers: [dossier], r)
    }

    /// The person's e-mail address on file (the first field of type email that holds one),
    /// opened only to send the claim code, and journalled as a disclosure to no account
    /// (`claim-code-mail`), as a transition's notice is: the staff member who asked never
    /// receives it. Nil without a relay, without such a field, or when it holds no address.
    func claimAddress(of person: PersonID, in dossier: DossierRecord, _ r: GateRequest) async throws -> MailAddress? {
        guard auth.sendsMail, let link = dossier.persons.first(where: { $0.person == person }) else { return nil }
        let names = profile.personFields.filter { $0.type == .email }.map(\.name)
        guard !names.isEmpty else { return nil }
        let opened: [String: FieldValue]
        do {
            opened = try await gate.openForSystem(dossier.id, [link], fields: names, rule: "claim-code-mail", action: .read, requestID: r.requestID)[person] ?? [:]
        } catch let error as GuichetError { throw error } catch {
            throw GuichetError.unavailable("the claim code could not be recorded in the ledger or its address opened, so none was issued")
        }
        for name in names {
            if case .text(let text)? = opened[name], let address = try? MailAddress(text) { return address }
        }
        return nil
    }

    /// The e-mail address on a citizen account's own person record, for a password reset code
    /// when the account has no contact address of its own: opened only for that, and journalled
    /// as a disclosure to no account (`password-reset-mail`), as the claim code's address is.
    /// Nil for another kind of account, a person erased, or no address on file.
    public func resetAddressOnFile(of account: AccountID, requestID: String) async throws -> MailAddress? {
        guard let record = try await store.account(id: account), profile.roles[record.role]?.kind == .citizen, let person = record.person,
              let stored = try await store.persons([person])[person], stored.key != nil else { return nil }
        let names = profile.personFields.filter { $0.type == .email }.map(\.name)
        guard !names.isEmpty else { return nil }
        do {
            try await gate.journal.recordSystemEvent("password-reset-mail", reason: "the e-mail address on the person's file opened to send a password reset code",
                                                     persons: [person], dossiers: [],
                                                     context: AccessContext(requestID: requestID, subject: nil, session: nil, source: nil, purpose: nil, at: gate.clock()))
        } catch {
            throw GuichetError.unavailable("the opening of the address could not be recorded in the ledger, so no code was sent")
        }
        let opened = try gate.sealing { try gate.vault.open(person: stored, role: "person", revealing: Set(names.map { "person." + $0 })) }
        for name in names {
            if case .text(let text)? = opened[name], let address = try? MailAddress(text) { return address }
        }
        return nil
    }

    /// A claim code for a person, from the server's own command line.
    public func issueClaim(for person: PersonID, consoleTrustingTheKeyFile requestID: String) async throws -> ClaimIssued {
        guard try await store.persons([person])[person] != nil else { throw GuichetError.notFound }
        if try await store.personHasAccount(person) {
            throw GuichetError.conflict("this person already has an account: it signs in, or resets its password")
        }
        try checkMayHoldAccount(person, in: try await linkedDossiers(person))
        try await journal(ClaimEntry.issueAction, "claim code issued", persons: [person], prefixed: false,
                          .consoleTrustingTheKeyFile(requestID: requestID))
        return try await auth.issueClaim(for: person, by: nil)
    }

    /// The codes being claimed in this process (their hashes), and those redeemed since it
    /// started: a code redeemed is used for good, so it stays (a few bytes a claim).
    static let claimsInProgress = Mutex<Set<String>>([])

    /// A citizen claims their file: a new account, linked to the person the code stands for.
    /// The name's and password's form are checked first (a typing mistake costs no attempt),
    /// then the code, throttled per source and per code, and only then whether the name is
    /// taken (counted against the source, as a registration is); the claim is journalled
    /// before the account exists.
    /// A claim by the account that issued the code, or from the address it was issued from,
    /// is refused; one soon after the issue, or from the issuer's network, is an alert
    /// naming the issuer.
    /// - Parameter claimant: the account of the session the request carries, if any.
    /// - Returns: the new account and its person.
    public func claim(username: String, password: String, code: String, requestID: String, source: String?,
                      claimant: AccountID? = nil) async throws -> (AccountID, PersonID) {
        let role = try await auth.checkNewCitizen(username: username, password: password)
        let ticket = try await auth.checkClaim(code: code, source: source, claimant: claimant)
        // One claim of a code at a time in this process: two at once both passed the check,
        // both were journalled as linking an account, and one account was never made (a
        // citizen's audit saw five "linked" entries for one code). The first holds the code
        // until it is redeemed (then used for good) or fails (then free again).
        guard Self.claimsInProgress.withLock({ $0.insert(ticket.code).inserted }) else { throw Authenticator.wrongClaim }
        var redeemed = false
        defer { if !redeemed { Self.claimsInProgress.withLock { _ = $0.remove(ticket.code) } } }
        try await auth.checkUsernameFree(username, source: source)
        let id = AccountID()
        do {
            try await gate.journal.recordSystemEvent(ClaimEntry.action, reason: ClaimEntry.reason(id), persons: [ticket.person],
                                                     dossiers: [], context: AccessContext(requestID: requestID, subject: nil, session: nil,
                                                                                          source: source, purpose: nil, at: gate.clock()))
        } catch {
            throw GuichetError.unavailable("the claim could not be recorded in the ledger, so no account was made")
        }
        let made = try await auth.redeem(ticket, username: username, password: password, role: role, id: id)
        redeemed = true
        let now = gate.clock()
        if let issuer = ticket.issuedBy {
            let soon = now.timeIntervalSince(ticket.issuedAt) < Self.claimSoonAfterIssue
            if soon || ticket.nearIssuer {
                let why = [soon ? "within ten minutes of its issue" : nil, ticket.nearIssuer ? "from the network it was issued from" : nil]
                    .compactMap { $0 }.joined(separator: " and ")
                do {
                    try await gate.watch?.raise(issuer, detector: "claim-near-issuer", severity: .medium,
                                                detail: "a claim code this account issued was claimed \(why) (account \(made.rawValue))", at: now)
                } catch {
                    gate.logger.error("the watch could not record a claim alert", metadata: ["request": .string(requestID)])
                }
            }
        }
        return (made, ticket.person)
    }
}
