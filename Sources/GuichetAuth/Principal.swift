public import GuichetCore
public import Foundation

/// An account whose session was verified. Only this module can make one, so holding a
/// `Principal` proves that authentication happened.
public struct Principal: Sendable, Equatable {
    public let account: AccountID
    public let username: String
    public let role: String
    public let kind: RoleKind
    public let organisation: OrganisationID?
    public let person: PersonID?
    public let territory: String?
    public let session: SessionID
    /// When this session last verified a second factor; nil if it has not.
    public let secondFactorAt: Date?
    /// A security officer acting from the server's own command line, trusted because the
    /// operator holds the key file (``Authenticator/consoleOfficerTrustingTheKeyFile(username:)``):
    /// the person ceilings do not apply (the key file opens everything anyway); every read
    /// is still journalled under the officer's name. Never true for an HTTP session.
    public internal(set) var onConsoleWithKeyFile = false
    /// Whether the account has a confirmed factor of its own (an app or a passkey).
    public internal(set) var hasSecondFactor = false
    /// Whether an administrator reset the account's second factors and none was enrolled since
    /// (``Authenticator/resetFactors(of:reason:delivery:by:)``).
    public internal(set) var factorsReset = false

    init(account: AccountID, username: String, role: String, kind: RoleKind, organisation: OrganisationID?,
         person: PersonID?, territory: String?, session: SessionID, secondFactorAt: Date?) {
        self.account = account; self.username = username; self.role = role; self.kind = kind
        self.organisation = organisation; self.person = person; self.territory = territory; self.session = session
        self.secondFactorAt = secondFactorAt
    }

    /// Staff, partners and administrators must pass a second factor before any personal data
    /// (C3); so must a citizen who enrolled one: a factor that is never asked for protects nothing;
    /// and so must a citizen whose factors were reset, until a new one is enrolled with the
    /// activation code: whoever took the account over with its password reaches nothing.
    public var needsSecondFactor: Bool { kind != .citizen || hasSecondFactor || factorsReset }

    /// How recent a second factor must be for a step-up action (sensitive admin actions, restore).
    public static let stepUpWindow: TimeInterval = 5 * 60

    /// Whether a second factor was verified within `window` seconds before `now` (step-up).
    public func hasFreshSecondFactor(now: Date, window: TimeInterval = Principal.stepUpWindow) -> Bool {
        secondFactorAt.map { now.timeIntervalSince($0) <= window } ?? false
    }

    /// Whether this session may reach personal data now.
    public var mayReachPersonalData: Bool { !needsSecondFactor || secondFactorAt != nil }

    /// What the policy may know about this principal.
    public var subject: Subject {
        Subject(account: account, role: role, organisation: organisation, person: person, territory: territory)
    }
}
