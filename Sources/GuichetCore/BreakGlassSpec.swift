/// The profile's break-glass section: which roles may open a dossier outside their scope,
/// on which dossier types, seeing which fields, for how long, and how long the written
/// justification must be at least.
public struct BreakGlassSpec: Sendable, Equatable {
    /// Roles that may break the glass (staff roles, never citizens or partners).
    public let roles: Set<String>
    /// Dossier types that may be opened this way.
    public let dossierTypes: Set<String>
    /// Fields an opened dossier shows (usually fewer than its owner sees).
    public let read: FieldSelector
    /// How long an opening lasts, in minutes.
    public let minutes: Int
    /// Shortest justification accepted, in characters (after trimming).
    public let minJustification: Int
    /// Most openings one account makes in 24 hours; the one past it is refused and suspends
    /// the account (a stolen adviser's account must not open the registry file by file).
    public let perDay: Int

    public init(roles: Set<String>, dossierTypes: Set<String>, read: FieldSelector, minutes: Int, minJustification: Int, perDay: Int = 3) {
        self.roles = roles; self.dossierTypes = dossierTypes; self.read = read
        self.minutes = minutes; self.minJustification = minJustification; self.perDay = perDay
    }
}
