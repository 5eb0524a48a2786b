/// Sealed fields (``Classification/sealed``): an adviser's notes on a young person, readable
/// by the adviser whose caseload holds the file and by nobody else. The policy asks these two
/// questions wherever a field mask is made, so that no rule, summary or break-glass mask can
/// let a sealed field through by a wildcard.
extension Profile {
    /// Whether a field path of a dossier type is sealed.
    public func isSealed(_ path: String, in type: DossierType) -> Bool {
        classification(of: path, in: type) == .sealed
    }

    /// Whether a rule may let sealed fields through: one for staff roles only, on their own
    /// caseload (`when: assigned`). Partners, citizens, officers and administrators never.
    public func letsSealedThrough(_ rule: Rule) -> Bool {
        rule.effect == .allow && rule.relation == .assigned && !rule.roles.isEmpty
            && rule.roles.allSatisfy { roles[$0]?.kind == .staff }
    }
}
