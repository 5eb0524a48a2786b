import Testing
import GuichetCore
@_spi(GateOnly) import GuichetPolicy

/// The pure decision function: default deny, deny wins, broken rules never grant.
@Suite struct PolicyTests {
    let parent = Subject(account: AccountID(), role: "parent", organisation: nil, person: PersonID(), territory: nil)
    let daycareOrg = OrganisationID()

    func facts(parent p: PersonID, partner: OrganisationID, status: String = "waiting") -> DossierFacts {
        DossierFacts(type: "application", status: status, organisation: nil, assignedAgent: nil, territory: "06",
                     persons: [PersonLink(role: "parent", person: p), PersonLink(role: "child", person: PersonID())], partners: [partner])
    }

    func profile(rules: [Rule]) throws -> Profile {
        let p = try Repo.profile()
        return Profile(name: p.name, title: p.title, defaultLanguage: p.defaultLanguage, personFields: p.personFields,
                       organisationKinds: p.organisationKinds, dossierTypes: p.dossierTypes, roles: p.roles, rules: rules, purposes: p.purposes)
    }

    @Test("an empty rule set denies everything")
    func emptyPolicyDenies() throws {
        let policy = Policy(profile: try profile(rules: []))
        for action in [Action.read, .search, .create, .update, .withdraw, .versions, .restore, .transition("offer")] {
            #expect(policy.decide(parent, action, facts(parent: parent.person!, partner: daycareOrg), purpose: nil)
                    == .deny(Denial(reason: .noRule, rule: nil)))
        }
    }

    @Test("an explicit deny wins over an allow")
    func denyWins() throws {
        let allow = Rule(id: "a", effect: .allow, roles: ["daycare"], dossierTypes: ["application"], relation: .partner,
                         actions: [.read], read: FieldSelector(["*"]))
        let deny = Rule(id: "d", effect: .deny, roles: ["daycare"], dossierTypes: ["application"], relation: .any,
                        actions: [.read], states: ["withdrawn"])
        let policy = Policy(profile: try profile(rules: [allow, deny]))
        let staff = Subject(account: AccountID(), role: "daycare", organisation: daycareOrg, person: nil, territory: nil)
        #expect(policy.decide(staff, .read, facts(parent: PersonID(), partner: daycareOrg), purpose: nil).grant != nil)
        #expect(policy.decide(staff, .read, facts(parent: PersonID(), partner: daycareOrg, status: "withdrawn"), purpose: nil)
                == .deny(Denial(reason: .explicitDeny, rule: "d")))
    }

    @Test("a rule whose condition cannot be evaluated never grants")
    func unevaluableRuleDoesNotGrant() throws {
        let rules = [Rule(id: "partner", effect: .allow, roles: ["daycare"], dossierTypes: ["application"], relation: .partner, actions: [.read], read: FieldSelector(["*"])),
                     Rule(id: "mine", effect: .allow, roles: ["daycare"], dossierTypes: ["application"], relation: .linkedPerson, linkRoles: ["parent"], actions: [.read], read: FieldSelector(["*"])),
                     Rule(id: "zone", effect: .allow, roles: ["daycare"], dossierTypes: ["application"], relation: .territory, actions: [.read], read: FieldSelector(["*"]))]
        let policy = Policy(profile: try profile(rules: rules))
        let noOrganisation = Subject(account: AccountID(), role: "daycare", organisation: nil, person: nil, territory: nil)
        #expect(policy.decide(noOrganisation, .read, facts(parent: PersonID(), partner: daycareOrg), purpose: nil).grant == nil)
    }

    @Test("a purpose-bound rule needs one of its purposes")
    func purposeIsChecked() throws {
        let policy = Policy(profile: try Repo.profile())
        let agent = Subject(account: AccountID(), role: "agent", organisation: OrganisationID(), person: nil, territory: nil)
        let f = facts(parent: PersonID(), partner: daycareOrg)
        #expect(policy.decide(agent, .read, f, purpose: nil) == .deny(Denial(reason: .purpose, rule: nil)))
        #expect(policy.decide(agent, .read, f, purpose: "placement") == .deny(Denial(reason: .purpose, rule: nil)))
        #expect(policy.decide(agent, .read, f, purpose: "list-management").rules == ["agents-manage-the-list"])
    }

    @Test("the grant names exactly the fields of the selectors")
    func grantFields() throws {
        let policy = Policy(profile: try Repo.profile())
        let staff = Subject(account: AccountID(), role: "daycare", organisation: daycareOrg, person: nil, territory: nil)
        let grant = try #require(policy.decide(staff, .read, facts(parent: PersonID(), partner: daycareOrg), purpose: nil).grant)
        #expect(grant.readable.contains("child.birthDate") && !grant.readable.contains("child.nam") && !grant.readable.contains("specialNeeds"))
        #expect(grant.writable.isEmpty)
    }
}

extension Decision {
    var rules: [String]? { grant?.rules }
}
