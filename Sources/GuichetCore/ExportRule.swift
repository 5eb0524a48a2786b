/// What a partner role may export of its caseload (the profile's `exports:` section, C11):
/// which dossiers, for which purpose, which fields, how long the file is valid, and how many
/// canary rows mark it as the recipient's.
public struct ExportRule: Sendable, Equatable {
    public let role: String
    public let dossierType: String
    public let purpose: String
    /// Field paths (`category`, `seeker.lastName`); the policy must also let the role read them.
    public let fields: [String]
    public let days: Int
    public let canaries: Int
    public init(role: String, dossierType: String, purpose: String, fields: [String], days: Int, canaries: Int) {
        self.role = role; self.dossierType = dossierType; self.purpose = purpose; self.fields = fields; self.days = days; self.canaries = canaries
    }
}
