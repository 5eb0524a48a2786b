import GuichetCore
import GuichetAuth
public import GuichetStore

/// Account administrators of one organisation (R2: a local office's account administrator).
/// In 2025 such an account was taken over and made two accounts that then read 1.6 million
/// files. Here an account administrator only asks for accounts of the roles its role
/// `provisions`, in its own organisation; every such account waits for a second person (another
/// account administrator of the office, or a platform administrator) to approve it, and the one
/// who asked never approves. Every other admin step is refused to it (``admit(_:accountAdministrators:)``).
extension Provisioning {
    /// Refuses an account administrator's step outside its scope: a role its role does not
    /// provision, or another organisation than its own. Platform administrators and the
    /// console pass.
    /// - Throws: ``GuichetError/forbidden(_:)``.
    func checkScope(_ by: Provisioner, role: String, organisation: OrganisationID?) throws {
        guard case .administrator(let p, _, _) = by, p.kind == .accountAdmin else { return }
        guard let mine = p.organisation, profile.roles[p.role]?.provisions.contains(role) == true else {
            throw GuichetError.forbidden("an account administrator asks only for accounts of the roles its role provisions")
        }
        guard organisation == mine else {
            throw GuichetError.forbidden("an account administrator asks only for accounts of its own organisation")
        }
    }

    /// The pending creations and role changes the provisioner may approve: all of them for a
    /// platform administrator; for an account administrator, the creations within its scope.
    public func pendingRequests(by: Provisioner) async throws -> [AccountRequest] {
        try admit(by, accountAdministrators: true)
        let pending = try await store.pendingRequests()
        guard case .administrator(let p, _, _) = by, p.kind == .accountAdmin else { return pending }
        var mine: [AccountRequest] = []
        for r in pending where r.kind == "create" {
            guard let account = try await store.account(id: r.account), (try? checkScope(by, role: r.role, organisation: account.organisation)) != nil
            else { continue }
            mine.append(r)
        }
        return mine
    }
}
