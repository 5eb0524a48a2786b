public import GuichetCore

extension Policy {
    /// Whether the profile lets `subject` break the glass on a dossier of this type at all
    /// (role and dossier type), whatever the dossier's relations.
    public func mayBreakGlass(_ subject: Subject, type: String) -> Bool {
        guard let spec = profile.breakGlass else { return false }
        return spec.roles.contains(subject.role) && spec.dossierTypes.contains(type)
    }

    /// The grant of a read under an open break-glass record: the profile's break-glass field
    /// mask, nothing writable. An explicit deny rule on reading still wins.
    /// - Parameter record: the id of the break-glass record, which the journal entry names.
    @_spi(GateOnly)
    public func breakGlassRead(_ subject: Subject, _ dossier: DossierFacts, record: String) -> Decision {
        guard let spec = profile.breakGlass, mayBreakGlass(subject, type: dossier.type),
              let type = profile.dossierTypes[dossier.type] else {
            return .deny(Denial(reason: .breakGlassNotAllowed, rule: nil))
        }
        if case .deny(let d) = decide(subject, .read, dossier, purpose: nil), d.reason == .explicitDeny { return .deny(d) }
        let readable = Set(profile.fieldPaths(of: type).filter { spec.read.matches($0) && !profile.isSealed($0, in: type) })
        return .allow(Grant(rules: ["break-glass:\(record)"], readable: readable, writable: [], breakGlass: record))
    }
}
