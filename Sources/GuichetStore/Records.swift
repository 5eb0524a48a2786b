public import GuichetCore
public import Foundation

/// Field values as stored: opaque to everything but the vault, which encrypts every field not
/// classified public and opens them only for the gate, against a journal receipt. The bytes
/// are `@_spi(VaultOnly)`: only the vault (and the benchmark's plaintext baseline) imports it.
public struct SealedFields: Sendable, Equatable {
    @_spi(VaultOnly) public let bytes: Data
    @_spi(VaultOnly) public init(bytes: Data) { self.bytes = bytes }
}

/// A subject's data key, wrapped by a key-encryption key of some version.
public struct WrappedKey: Sendable, Equatable {
    public let kekVersion: Int
    public let bytes: Data
    public init(kekVersion: Int, bytes: Data) { self.kekVersion = kekVersion; self.bytes = bytes }
}

/// A person as stored.
/// A data key's shredding: when (milliseconds) and whose, the order in which a server copies
/// the registry's erasures into its own erasure list (``GuichetGate/ErasureRecord``).
public struct Shredding: Sendable, Equatable {
    public let millis: Int64
    public let subject: String
    public init(millis: Int64, subject: String) { self.millis = millis; self.subject = subject }

    /// As kept in the metadata table: `MILLIS SUBJECT`.
    public var text: String { "\(millis) \(subject)" }
    public init?(text: String) {
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let millis = Int64(parts[0]) else { return nil }
        self.init(millis: millis, subject: String(parts[1]))
    }
}

public struct PersonRecord: Sendable, Equatable {
    public let id: PersonID
    public let version: Int
    public let fields: SealedFields
    /// The person's wrapped data key; nil once crypto-shredded.
    public let key: WrappedKey?
    public init(id: PersonID, version: Int, fields: SealedFields, key: WrappedKey?) {
        self.id = id; self.version = version; self.fields = fields; self.key = key
    }
}

/// A dossier as stored, with its links.
public struct DossierRecord: Sendable, Equatable {
    public let id: DossierID
    public let type: String
    public var status: String
    public let organisation: OrganisationID?
    public let assignedAgent: AccountID?
    public let territory: String?
    public let version: Int
    public var fields: SealedFields
    public var persons: [PersonLink]
    public var partners: [OrganisationID]
    public let createdAt: Date
    public let updatedAt: Date
    /// The dossier's wrapped data key (for its own non-public fields); nil once shredded.
    public let key: WrappedKey?
    /// Archived or erased by retention (docs/LIFECYCLE.md); read with the dossier, so that the
    /// gate's checks cost no second query.
    public var lifecycle: LifecycleMark?

    public init(id: DossierID, type: String, status: String, organisation: OrganisationID?, assignedAgent: AccountID?,
                territory: String?, version: Int, fields: SealedFields, persons: [PersonLink], partners: [OrganisationID],
                createdAt: Date, updatedAt: Date, key: WrappedKey?, lifecycle: LifecycleMark? = nil) {
        self.id = id; self.type = type; self.status = status; self.organisation = organisation
        self.assignedAgent = assignedAgent; self.territory = territory; self.version = version
        self.fields = fields; self.persons = persons; self.partners = partners
        self.createdAt = createdAt; self.updatedAt = updatedAt; self.key = key; self.lifecycle = lifecycle
    }

    /// What the policy may know about this dossier.
    public var facts: DossierFacts {
        DossierFacts(type: type, status: status, organisation: organisation, assignedAgent: assignedAgent,
                     territory: territory, persons: persons, partners: partners)
    }
}

/// One kept version of a dossier (metadata; the content is personal data and goes through the gate).
public struct VersionInfo: Sendable, Equatable {
    public let version: Int
    public let changedAt: Date
    public let changedBy: AccountID?
    public let change: String
    public let status: String
    public init(version: Int, changedAt: Date, changedBy: AccountID?, change: String, status: String) {
        self.version = version; self.changedAt = changedAt; self.changedBy = changedBy; self.change = change; self.status = status
    }
}

/// An organisation: the operator, a daycare service, a ministry.
public struct Organisation: Sendable, Equatable, Codable {
    public let id: OrganisationID
    public let kind: String
    public let name: String
    public let territory: String?
    public let capacity: Int?
    public init(id: OrganisationID, kind: String, name: String, territory: String?, capacity: Int?) {
        self.id = id; self.kind = kind; self.name = name; self.territory = territory; self.capacity = capacity
    }
}

extension Identifier: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = Identifier(validating: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a valid identifier"))
        }
        self = id
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// An account as stored. The password hash never leaves the auth module's use.
public struct AccountRecord: Sendable, Equatable {
    public let id: AccountID
    public let username: String
    public let passwordHash: String
    public let role: String
    public let organisation: OrganisationID?
    public let person: PersonID?
    public let territory: String?
    public let status: String
    public let createdAt: Date
    /// Whether the account has a confirmed second factor (an app or a passkey); read with the
    /// account by sign-in and by every request's session check, where it decides whether a
    /// citizen, who needs none, must now pass theirs.
    public var hasSecondFactor = false
    /// Whether an administrator reset the account's second factors and no first factor was
    /// enrolled since: its next one needs an activation code, and until then it reaches no
    /// personal data, even a citizen's (who otherwise needs no second factor).
    public var factorsReset = false
    public init(id: AccountID, username: String, passwordHash: String, role: String, organisation: OrganisationID?,
                person: PersonID?, territory: String?, status: String, createdAt: Date) {
        self.id = id; self.username = username; self.passwordHash = passwordHash; self.role = role
        self.organisation = organisation; self.person = person; self.territory = territory
        self.status = status; self.createdAt = createdAt
    }
}

/// A session as stored (by the hash of its token).
public struct SessionRecord: Sendable, Equatable {
    public let id: SessionID
    public let account: AccountID
    public let lastSeenAt: Date
    public let expiresAt: Date
    public let revoked: Bool
    /// When a second factor was last verified in this session.
    public let secondFactorAt: Date?
    public init(id: SessionID, account: AccountID, lastSeenAt: Date, expiresAt: Date, revoked: Bool, secondFactorAt: Date?) {
        self.id = id; self.account = account; self.lastSeenAt = lastSeenAt; self.expiresAt = expiresAt
        self.revoked = revoked; self.secondFactorAt = secondFactorAt
    }
}

/// An open session of an account, as its owner sees it in the list of their sessions (never
/// its token, which is stored only as a hash).
public struct OpenSession: Sendable, Equatable {
    public let id: SessionID
    public let createdAt: Date
    public let lastSeenAt: Date
    public let expiresAt: Date
    public let secondFactorAt: Date?
    public init(id: SessionID, createdAt: Date, lastSeenAt: Date, expiresAt: Date, secondFactorAt: Date?) {
        self.id = id; self.createdAt = createdAt; self.lastSeenAt = lastSeenAt; self.expiresAt = expiresAt; self.secondFactorAt = secondFactorAt
    }
}

/// One journal entry, as written by the ledger module. Identifiers and field names only.
public struct JournalRow: Sendable, Equatable {
    public let at: Date
    public let requestID: String
    public let account: AccountID?
    public let role: String?
    public let organisation: OrganisationID?
    public let session: SessionID?
    /// The source address: in the entry itself (older entries) or, when the entry carries
    /// only its keyed tag (`sourceTag`), from the ledger's address index beside it.
    public var source: String?
    /// The keyed tag of the source address that newer entries carry instead of the address.
    public var sourceTag: String? = nil
    public let action: String
    public let allowed: Bool
    public let reason: String
    public let purpose: String?
    public let dossiers: [DossierID]
    public let persons: [PersonID]
    public let fields: [String]
    /// For each person named, the paths of `fields` that are that person's (`child.firstName`),
    /// so that a breach scope can say exactly which fields of whom; nil when not recorded.
    public var personFields: [PersonID: [String]]? = nil
    /// Whether the access returned the named fields to the caller (a read, a search, a
    /// version): what a breach scope counts as exposure. False for writes and refusals.
    public var disclosed = false
    public init(at: Date, requestID: String, account: AccountID?, role: String?, organisation: OrganisationID?,
                session: SessionID?, source: String?, action: String, allowed: Bool, reason: String, purpose: String?,
                dossiers: [DossierID], persons: [PersonID], fields: [String]) {
        self.at = at; self.requestID = requestID; self.account = account; self.role = role
        self.organisation = organisation; self.session = session; self.source = source; self.action = action
        self.allowed = allowed; self.reason = reason; self.purpose = purpose; self.dossiers = dossiers
        self.persons = persons; self.fields = fields
    }
}

/// A searchable term of a person field (normalised value).
public struct PersonTerm: Sendable, Hashable {
    public let field: String
    public let term: String
    public init(field: String, term: String) { self.field = field; self.term = term }

    /// The pseudo-field of the birth year's keyed tag kept for statistics by age (stored in
    /// `person_birth_year`, not with the search terms, since no search may use it).
    public static let birthYearField = "@birth-year"

    /// The birth year of the profile's age field among these values, as a term to write with
    /// the person's search terms: `tag(year)`, the vault's blind index of the year, never the
    /// year itself; nil when the profile counts no age or the value is absent.
    public static func birthYear(_ values: [String: FieldValue?], profile: Profile, tag: (Int) throws -> String) rethrows -> PersonTerm? {
        guard let field = profile.statistics.age?.field, case .date(let date)?? = values[field] else { return nil }
        return PersonTerm(field: birthYearField, term: try tag(date.year))
    }
}

/// Which dossiers a search may return: any of the filters admits a dossier.
public enum ScopeFilter: Sendable, Equatable {
    case any
    case linkedPerson(PersonID, roles: Set<String>)
    case partner(OrganisationID)
    case organisation(OrganisationID)
    case assigned(AccountID)
    case territory(String)
}

/// A search over dossiers: scope, optional status, person terms (all must match), paging.
public struct DossierQuery: Sendable {
    public var type: String
    public var status: String?
    public var scope: [ScopeFilter]
    /// (link role, person field, normalised term).
    public var terms: [(role: String, field: String, term: String)]
    public var after: DossierID?
    public var limit: Int
    public init(type: String, status: String?, scope: [ScopeFilter], terms: [(role: String, field: String, term: String)],
                after: DossierID?, limit: Int) {
        self.type = type; self.status = status; self.scope = scope; self.terms = terms; self.after = after; self.limit = limit
    }
}
