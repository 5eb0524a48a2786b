public import GuichetCore
public import GuichetAuth
import GuichetStore
@_spi(GateOnly) import GuichetPolicy
@_spi(GateOnly) import GuichetLedger
import Foundation

/// Claim codes (issue 16, item 3): staff of the office that holds a person's file, or the
/// operator at the console, issue a one-time code for that person; with it, the person makes a
/// citizen account linked to their existing person, never a second one. Issuing and claiming
/// are journalled under the person.
extension Provisioning {
    /// A claim code for a person, asked by a staff member who may change one of the person's
    /// dossiers (a partner or a citizen may not). The person must have no account yet.
    /// - Throws: ``GuichetError/notFound`` when the caller may not see the person (journalled);
    ///   ``GuichetError/forbidden(_:)`` when they may see but not change them, or are not staff;
    ///   ``GuichetError/conflict(_:)`` when the person has an account.
    public func issueClaim(for person: PersonID, _ r: GateRequest) async throws -> ClaimIssued {
        try gate.checkPurpose(r)
        let subject = r.principal.subject
        let dossiers = try await store.dossiers(Array(try await store.dossierIDs(linking: person).prefix(Gate.maxLinksPerPerson)))
        var readable = false
        var through: DossierID?
        for d in dossiers {
            if gate.policy.decide(subject, .read, d.facts, purpose: r.purpose).grant != nil { readable = true }
            if gate.policy.decide(subject, .update, d.facts, purpose: r.purpose).grant != nil { through = d.id; break }
        }
        guard r.principal.kind == .staff, let through else {
            let error: GuichetError = readable ? .forbidden("only staff who may change this person's file issue a claim code") : .notFound
            try await gate.refuse(error, reason: readable ? "claim-code-not-allowed" : "no-rule", action: .update, dossiers: [], r)
        }
        if try await store.personHasAccount(person) {
            throw GuichetError.conflict("this person already has an account: it signs in, or resets its password")
        }
        do {
            try await gate.journal.recordSystemEvent("claim-code-issue", reason: "claim code issued", persons: [person], dossiers: [through],
                                                     context: gate.context(r))
        } catch {
            throw GuichetError.unavailable("the claim code could not be recorded in the ledger, so none was issued")
        }
        return try await auth.issueClaim(for: person, by: r.principal.account)
    }

    /// A claim code for a person, from the server's own command line.
    public func issueClaim(for person: PersonID, consoleTrustingTheKeyFile requestID: String) async throws -> ClaimIssued {
        guard try await store.persons([person])[person] != nil else { throw GuichetError.notFound }
        if try await store.personHasAccount(person) {
            throw GuichetError.conflict("this person already has an account: it signs in, or resets its password")
        }
        try await journal("claim-code-issue", "claim code issued", persons: [person], prefixed: false,
                          .consoleTrustingTheKeyFile(requestID: requestID))
        return try await auth.issueClaim(for: person, by: nil)
    }

    /// A citizen claims their file: a new account, linked to the person the code stands for.
    /// Name and password are checked first (a typing mistake costs no attempt), then the code,
    /// throttled per source and per code; the claim is journalled before the account exists.
    /// - Returns: the new account and its person.
    public func claim(username: String, password: String, code: String, requestID: String, source: String?) async throws -> (AccountID, PersonID) {
        let role = try await auth.checkNewCitizen(username: username, password: password)
        let ticket = try await auth.checkClaim(code: code, source: source)
        let id = AccountID()
        do {
            try await gate.journal.recordSystemEvent("claim", reason: "account \(id) linked to its person with a claim code", persons: [ticket.person],
                                                     dossiers: [], context: AccessContext(requestID: requestID, subject: nil, session: nil,
                                                                                          source: source, purpose: nil, at: gate.clock()))
        } catch {
            throw GuichetError.unavailable("the claim could not be recorded in the ledger, so no account was made")
        }
        return (try await auth.redeem(ticket, username: username, password: password, role: role, id: id), ticket.person)
    }
}
