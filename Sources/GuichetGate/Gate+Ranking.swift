public import GuichetCore
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetPolicy
import GuichetAuth
@_spi(GateOnly) import GuichetVault
public import GuichetStore
import Foundation
import GuichetWatch

/// A dossier's place on one organisation's waiting list.
public struct ListRank: Sendable {
    public let organisation: OrganisationID
    /// 1 for the first; among the dossiers the list ranks (`rank.states` of the profile).
    public let rank: Int
    /// How many dossiers the list ranks.
    public let of: Int
}

/// A dossier's ranks on the lists of the organisations it chose, with the rule in words.
public struct DossierRanks: Sendable {
    public let dossier: DossierID
    public let status: String
    /// Empty when the dossier is in a state that is not ranked (offered, placed...).
    public let ranks: [ListRank]
    public let explanation: [String: String]
}

/// One page of an organisation's waiting list, in rank order: summaries only.
public struct RankedPage: Sendable {
    public struct Entry: Sendable {
        public let rank: Int
        public let view: DossierView
    }
    public let organisation: OrganisationID
    public let total: Int
    public let entries: [Entry]
    /// The rank to ask for next (`from`); nil at the end.
    public let next: Int?
    public let explanation: [String: String]
}

/// An e-mail a transition sends (`notify:` in the profile), with the addresses opened for it.
/// What a notice from the outbox comes to.
public enum NoticeMail: Sendable {
    case mail(TransitionMail)
    /// The dossier moved on before the notice could go: it is not sent.
    case superseded
}

public struct TransitionMail: Sendable {
    public let addresses: [String]
    public let subject: String
    public let text: String
    public let language: String
}

/// Offers and other capacity-bound transitions run one at a time, so two offers cannot both
/// take an organisation's last place.
actor Turnstile {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard busy else { busy = true; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await enter()
        do {
            let value = try await body()
            leave()
            return value
        } catch {
            leave()
            throw error
        }
    }

    static let places = Turnstile()
    /// A citizen's registrations of a type that allows only so many (`perCitizen`), counted
    /// and made one at a time within this server.
    static let registrations = Turnstile()
}

extension Gate {
    /// The ranked dossiers that chose `organisation`, in rank order, and how many of them are
    /// real files: the honeytokens come after every real one, in their own order
    /// (``decoyDossiers()``), so normal work from the top of a list never reaches them and no
    /// real family's rank counts them (a new user's audit: decoys planted after a small import
    /// took ranks 1 to 3 of a daycare's list, with a sibling attending; the daycare that opened
    /// rank 1 was suspended, and a parent's rank fell from 1 to 4). Reads the public fields the keys name, never a sealed
    /// one; cost grows with that organisation's dossiers.
    func rankOrder(type: String, _ ranking: Ranking, organisation: OrganisationID) async throws -> (order: [DossierID], real: Int) {
        let candidates = try await store.rankCandidates(type: type, partner: organisation, states: ranking.states)
        let isDecoy = try await decoyDossiers()
        let decoys = Set(candidates.map(\.id).filter(isDecoy))
        let keyed = try sealing {
            try candidates.map { ($0, try vault.publicValues($0.fields, names: ranking.fields, dossierType: type)) }
        }
        let order = keyed.sorted { a, b in
            let (x, y) = (decoys.contains(a.0.id), decoys.contains(b.0.id))
            if x != y { return y }
            for key in ranking.keys {
                if let first = Self.precedes(a, b, key) { return first }
            }
            return a.0.id.rawValue < b.0.id.rawValue
        }.map(\.0.id)
        return (order, order.count - decoys.count)
    }

    /// Whether `a` comes before `b` on `key`; nil when they tie. A missing value comes last.
    static func precedes(_ a: (RankCandidate, [String: FieldValue]), _ b: (RankCandidate, [String: FieldValue]), _ key: Ranking.Key) -> Bool? {
        switch key {
        case .created(let descending):
            guard a.0.createdAt != b.0.createdAt else { return nil }
            return (a.0.createdAt < b.0.createdAt) != descending
        case .field(let name, let descending):
            switch (a.1[name], b.1[name]) {
            case (nil, nil): return nil
            case (_, nil): return true
            case (nil, _): return false
            case (let x?, let y?):
                guard x != y, let less = Self.less(x, y) else { return nil }
                return less != descending
            }
        }
    }

    static func less(_ x: FieldValue, _ y: FieldValue) -> Bool? {
        switch (x, y) {
        case (.boolean(let p), .boolean(let q)): !p && q
        case (.date(let p), .date(let q)): p < q
        case (.integer(let p), .integer(let q)): p < q
        default: nil
        }
    }

    func ranking(_ type: String) throws -> Ranking {
        guard let ranking = profile.dossierTypes[type]?.ranking else { throw GuichetError.invalid("dossiers of type '\(GuichetError.echo(type))' have no rank") }
        return ranking
    }

    /// A dossier's rank on the list of each organisation it chose, for whoever may read it (a
    /// parent, an agent; a partner gets its own list's rank only); journalled as a read that
    /// returns no field.
    public func ranks(of id: DossierID, _ r: GateRequest) async throws -> DossierRanks {
        let (record, grant) = try await authorise(id, .read, r)
        let ranking = try ranking(record.type)
        _ = try await journalled([AllowedAccess(dossier: id, grant: grant, persons: [], fields: [])], action: .read, r)
        var ranks: [ListRank] = []
        if ranking.states.contains(record.status) {
            // The lists of the organisations the caller may know of: all the chosen ones for
            // whoever reads `partners` (the parent, an agent), else only its own (a daycare).
            let known = grant.readable.contains("partners") ? record.partners : record.partners.filter { $0 == r.principal.organisation }
            for organisation in known {
                let (order, real) = try await rankOrder(type: record.type, ranking, organisation: organisation)
                // Out of the real files: a decoy's own rank is never asked for by normal work.
                if let i = order.firstIndex(of: id) { ranks.append(ListRank(organisation: organisation, rank: i + 1, of: max(real, i + 1))) }
            }
        }
        return DossierRanks(dossier: id, status: record.status, ranks: ranks, explanation: ranking.explanation)
    }

    /// An organisation's waiting list from rank `from`, `limit` entries: the summaries a search
    /// returns (same policy, journal and ceilings). A partner sees its own organisation's list
    /// only; a role whose rules reach any dossier of the type sees every list.
    public func waitingList(_ organisation: OrganisationID, type: String, from: Int, limit: Int, _ r: GateRequest) async throws -> RankedPage {
        try checkPurpose(r)
        let ranking = try ranking(type)
        guard from >= 1 else { throw GuichetError.invalid("'from' is a rank: 1 or more") }
        guard (1...Self.maxPageSize).contains(limit) else { throw GuichetError.invalid("limit must be from 1 to \(Self.maxPageSize)") }
        let subject = r.principal.subject
        let scope = policy.searchScope(subject, type: type, purpose: r.purpose)
        if scope.isEmpty { try await refuse(.forbidden("your role may not list these dossiers"), reason: "no-rule", action: .search, dossiers: [], r) }
        guard subject.organisation == organisation || scope.relations.contains(.any),
              try await store.organisation(organisation) != nil else {
            try await refuse(.notFound, reason: "not-found", action: .search, dossiers: [], r)
        }
        let order = try await rankOrder(type: type, ranking, organisation: organisation).order
        let start = min(from - 1, order.count)
        let page = Array(order[start..<min(start + limit, order.count)])
        // The watch sees it as a listing: paging on counts like paging a search.
        let shape = SearchShape(paged: from > 1, byName: false, initials: nil, query: Self.fingerprint("waiting-list\u{0}\(organisation.rawValue)"))
        let views = try await Gate.$searchShape.withValue(shape) { try await summaries(page, r) }
        let rankOf = Dictionary(uniqueKeysWithValues: page.enumerated().map { ($1, start + $0 + 1) })
        let entries = views.compactMap { v in rankOf[v.id].map { RankedPage.Entry(rank: $0, view: v) } }
        return RankedPage(organisation: organisation, total: order.count, entries: entries,
                          next: start + limit < order.count ? start + limit + 1 : nil, explanation: ranking.explanation)
    }

    /// Refuses a capacity-bound transition when the actor's organisation has no place left
    /// (409, nothing changed). An organisation without a capacity is not bounded.
    func checkCapacity(_ rule: CapacityRule, type: String, _ r: GateRequest) async throws {
        guard let organisation = r.principal.organisation, let capacity = try await store.organisation(organisation)?.capacity else { return }
        let held = try await store.rankCandidates(type: type, partner: organisation, states: rule.holds)
        let mine = try sealing {
            try held.filter { try vault.publicValues($0.fields, names: [rule.by], dossierType: type)[rule.by] == .text(organisation.rawValue) }
        }
        if mine.count >= capacity {
            let states = rule.holds.sorted().joined(separator: " or ")
            throw GuichetError.conflict("no place left: the \(capacity) places of your organisation are held by dossiers in state \(states); nothing was changed")
        }
    }

    /// Opens `fields` of persons of a dossier for the system itself (a message to send), after
    /// journalling them as a disclosure to no account under `rule`: no account receives them,
    /// so no ceiling counts them. Notices and claim codes by e-mail use it.
    func openForSystem(_ dossier: DossierID, _ links: [PersonLink], fields: [String], rule: String, action: Action,
                       requestID: String) async throws -> [PersonID: [String: FieldValue]] {
        let paths = Dictionary(links.map { link in (link.person, fields.map { "\(link.role).\($0)" }) }, uniquingKeysWith: +)
        let access = AllowedAccess(dossier: dossier, rules: [rule], breakGlass: false, persons: links.map(\.person),
                                   fields: Array(Set(paths.values.joined())).sorted(), personFields: paths)
        let context = AccessContext(requestID: requestID, subject: nil, session: nil, source: nil, purpose: nil, at: clock())
        let receipt = try await journal.recordDisclosure([access], action: action, context: context)
        let persons = try await store.persons(links.map(\.person))
        var out: [PersonID: [String: FieldValue]] = [:]
        for link in links {
            guard let person = persons[link.person] else { continue }
            out[link.person] = try sealing { try vault.open(person: person, role: link.role, revealing: receipt.fields[dossier] ?? []) }
        }
        return out
    }

    /// The e-mail a transition owes (a notice from the outbox), with the addresses of the
    /// persons it goes to, opened for this only and journalled as `notice:NAME` by the system
    /// (no account receives them, so no ceiling counts them). `.superseded` when the dossier
    /// has left the state the transition put it in (an offer withdrawn before it could be mailed).
    /// A language's own name, heading its part of a notice.
    static let languageNames = ["en": "English", "fr": "Français", "ar": "العربية"]

    public func noticeMail(_ n: PendingNotice) async throws -> NoticeMail {
        guard let record = try await store.dossier(n.dossier), let transition = profile.dossierTypes[record.type]?.workflow.transitions[n.transition],
              let notice = transition.notice else { return .superseded }
        guard record.status == transition.to else { return .superseded }
        let links = record.persons.filter { notice.roles.contains($0.role) }
        guard !links.isEmpty else { return .superseded }
        let opened = try await openForSystem(n.dossier, links, fields: [notice.field], rule: "notice:\(n.transition)", action: .transition(n.transition),
                                             requestID: "notice-\(n.dossier.rawValue)-\(n.version)-\(n.attempts + 1)")
        var addresses: [String] = []
        for link in links {
            if case .text(let address)? = opened[link.person]?[notice.field], !addresses.contains(address) { addresses.append(address) }
        }
        // The profile's language first, then each other language the profile wrote it in: the
        // registry does not know which language a parent reads (a co-operative's audit: an
        // English-speaking parent got the offer in French only, though the profile had it in English).
        let language = profile.defaultLanguage
        let first = notice.text[language] != nil ? language : (notice.text.keys.sorted().first ?? language)
        let others = notice.text.keys.filter { $0 != first }.sorted()
        var subject = notice.subject[first] ?? "", text = notice.text[first] ?? ""
        for other in others {
            if let t = notice.text[other] { text += "\n\n-- \(Self.languageNames[other] ?? other) --\n\n" + t }
            if let s = notice.subject[other], s != subject { subject += " / " + s }
        }
        return .mail(TransitionMail(addresses: addresses, subject: subject, text: text, language: first))
    }
}
