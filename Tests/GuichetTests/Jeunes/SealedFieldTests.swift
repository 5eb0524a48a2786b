import Foundation
import Testing
import GuichetCore
import GuichetProfile
@_spi(GateOnly) import GuichetPolicy

/// A sealed field (R2's adviser notes) reaches the adviser of the caseload and nobody else,
/// whatever the rules' wildcards say.
@Suite struct SealedFieldTests {
    static let office = OrganisationID()

    static func facts(agent: AccountID?) -> DossierFacts {
        DossierFacts(type: "youth-file", status: "active", organisation: office, assignedAgent: agent, territory: nil,
                     persons: [PersonLink(role: "young", person: PersonID())], partners: [])
    }

    /// The jeunes profile with wildcard rules added for a manager, a partner and the break-glass
    /// mask, as a careless profile author might write them.
    static func carelessProfile() throws -> Profile {
        let p = try Repo.profile(named: "jeunes")
        var roles = p.roles
        roles["temp-agency"] = Role(name: "temp-agency", kind: .partner, organisationKind: "local-office")
        let extra = [
            Rule(id: "managers-read-all", effect: .allow, roles: ["office-manager"], dossierTypes: ["youth-file"], relation: .organisation,
                 actions: [.read, .search], read: FieldSelector(["*"])),
            Rule(id: "partner-reads-its-caseload", effect: .allow, roles: ["temp-agency"], dossierTypes: ["youth-file"], relation: .assigned,
                 actions: [.read], read: FieldSelector(["*"]), write: FieldSelector(["*"])),
        ]
        return Profile(name: p.name, title: p.title, defaultLanguage: p.defaultLanguage, personFields: p.personFields,
                       organisationKinds: p.organisationKinds, dossierTypes: p.dossierTypes, roles: roles, rules: p.rules + extra,
                       purposes: p.purposes,
                       breakGlass: BreakGlassSpec(roles: ["adviser"], dossierTypes: ["youth-file"], read: FieldSelector(["*"]), minutes: 15, minJustification: 40))
    }

    @Test("only the adviser of the caseload reads or writes the sealed note; managers, partners, the young person, break-glass and lists never")
    func onlyTheCaseloadsAdviser() throws {
        let policy = Policy(profile: try Self.carelessProfile())
        let adviser = Subject(account: AccountID(), role: "adviser", organisation: Self.office, person: nil, territory: nil)
        let mine = Self.facts(agent: adviser.account)
        let read = try #require(policy.decide(adviser, .read, mine, purpose: "support").grant)
        #expect(read.readable.contains("sealedNote") && read.writable.contains("sealedNote"))
        let listed = try #require(policy.decide(adviser, .search, mine, purpose: "support").grant)
        #expect(!listed.readable.contains("sealedNote"), "never in a list or search result")

        let manager = Subject(account: AccountID(), role: "office-manager", organisation: Self.office, person: nil, territory: nil)
        let managed = try #require(policy.decide(manager, .read, mine, purpose: nil).grant)
        #expect(managed.readable.contains("supportActions") && !managed.readable.contains("sealedNote"), "a wildcard of another relation stops short of it")

        let partner = Subject(account: AccountID(), role: "temp-agency", organisation: Self.office, person: nil, territory: nil)
        let partnerGrant = try #require(policy.decide(partner, .read, Self.facts(agent: partner.account), purpose: nil).grant)
        #expect(partnerGrant.readable.contains("programme") && !partnerGrant.readable.contains("sealedNote") && !partnerGrant.writable.contains("sealedNote"))

        let colleague = Subject(account: AccountID(), role: "adviser", organisation: Self.office, person: nil, territory: nil)
        let glass = try #require(policy.breakGlassRead(colleague, mine, record: "bg").grant)
        #expect(glass.readable.contains("supportActions") && !glass.readable.contains("sealedNote"), "break-glass never opens it")

        let young = Subject(account: AccountID(), role: "young", organisation: nil, person: mine.persons[0].person, territory: nil)
        #expect(policy.decide(young, .read, mine, purpose: nil).grant?.readable.contains("sealedNote") == false)
    }

    @Test("a profile is refused when a sealed field is searchable or a person field, or when provisions are wrong", arguments: [
        ("      sealedNote:     {type: text, class: sealed,", "      sealedNote:     {type: text, class: sealed, searchable: true,", "never searchable"),
        ("  address:     {type: text, class: contact}", "  address:     {type: text, class: sealed}", "cannot be sealed"),
        ("provisions: [adviser, office-manager]", "provisions: [adviser, admin]", "staff and partner roles only"),
        ("provisions: [adviser, office-manager]", "provisions: [adviser, account-admin]", "staff and partner roles only"),
        (", provisions: [adviser, office-manager]}", "}", "must list the roles"),
        ("adviser:        {kind: staff, organisation: local-office}", "adviser:        {kind: staff, organisation: local-office, provisions: [office-manager]}",
         "only a role of kind account-admin"),
    ])
    func badSealOrProvisionsIsRefused(_ replace: String, _ with: String, _ message: String) throws {
        let path = Repo.root.appendingPathComponent("profiles/jeunes/profile.yaml").path
        let valid = try String(contentsOfFile: path, encoding: .utf8)
        #expect(valid.contains(replace), "fixture must apply")
        #expect { try ProfileLoader.parse(yaml: valid.replacingOccurrences(of: replace, with: with), file: "jeunes.yaml") } throws: { error in
            (error as? ProfileError)?.message.contains(message) == true
        }
        #expect(try ProfileLoader.parse(yaml: valid, file: "jeunes.yaml").roles["account-admin"]?.provisions == ["adviser", "office-manager"])
    }
}
