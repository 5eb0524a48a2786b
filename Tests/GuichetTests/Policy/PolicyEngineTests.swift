import Foundation
import Testing
import GuichetCore
@_spi(GateOnly) import GuichetPolicy
import GuichetProfile

/// The decision function beyond the basics of PolicyTests: deny rules bound to purposes,
/// explain, break-glass grants, and profile checks that keep every allow explicit.
@Suite struct PolicyEngineTests {
    let org = OrganisationID()

    func facts(type: String = "job-seeker", status: String = "registered", organisation: OrganisationID? = nil,
               assigned: AccountID? = nil) -> DossierFacts {
        DossierFacts(type: type, status: status, organisation: organisation, assignedAgent: assigned, territory: "75",
                     persons: [PersonLink(role: "seeker", person: PersonID())], partners: [])
    }

    @Test("an empty rule set denies every action of every role of the emploi profile")
    func emptyRuleSetDeniesEverything() throws {
        let p = try Repo.profile(named: "emploi")
        let empty = Policy(profile: Profile(name: p.name, title: p.title, defaultLanguage: p.defaultLanguage, personFields: p.personFields,
                                            organisationKinds: p.organisationKinds, dossierTypes: p.dossierTypes, roles: p.roles, rules: [],
                                            purposes: p.purposes, breakGlass: p.breakGlass))
        for role in p.roles.keys {
            let me = Subject(account: AccountID(), role: role, organisation: org, person: PersonID(), territory: "75")
            for action in [Action.read, .search, .create, .update, .withdraw, .versions, .restore, .transition("deregister")] {
                for purpose in [nil] + p.purposes {
                    let f = facts(organisation: org, assigned: me.account)
                    #expect(empty.decide(me, action, f, purpose: purpose) == .deny(Denial(reason: .noRule, rule: nil)))
                    #expect(empty.searchScope(me, type: "job-seeker", purpose: purpose).isEmpty)
                }
            }
        }
    }

    @Test("a deny rule bound to a purpose applies only to that purpose, and never turns a refusal into 'state a purpose'")
    func denyWithPurpose() throws {
        let p = try Repo.profile(named: "emploi")
        let allow = Rule(id: "a", effect: .allow, roles: ["adviser"], dossierTypes: ["job-seeker"], relation: .organisation, actions: [.read], read: FieldSelector(["*"]))
        let deny = Rule(id: "no-compensation", effect: .deny, roles: ["adviser"], dossierTypes: ["job-seeker"], relation: .any, actions: [.read],
                        purposes: ["compensation"])
        let policy = Policy(profile: Profile(name: p.name, title: p.title, defaultLanguage: p.defaultLanguage, personFields: p.personFields,
                                             organisationKinds: p.organisationKinds, dossierTypes: p.dossierTypes, roles: p.roles,
                                             rules: [allow, deny], purposes: p.purposes))
        let me = Subject(account: AccountID(), role: "adviser", organisation: org, person: nil, territory: nil)
        #expect(policy.decide(me, .read, facts(organisation: org), purpose: "support").grant != nil)
        #expect(policy.decide(me, .read, facts(organisation: org), purpose: "compensation") == .deny(Denial(reason: .explicitDeny, rule: "no-compensation")))
        #expect(policy.decide(me, .read, facts(organisation: OrganisationID()), purpose: nil) == .deny(Denial(reason: .noRule, rule: nil)))
    }

    @Test("explain says for each rule why it did not match, and gives the decision and its fields")
    func explainSaysWhy() throws {
        let policy = Policy(profile: try Repo.profile(named: "emploi"))
        let partner = Subject(account: AccountID(), role: "partner-adviser", organisation: org, person: nil, territory: "75")
        let other = policy.explain(partner, .read, facts(), purpose: "disability-support")
        let byRule = Dictionary(uniqueKeysWithValues: other.steps.map { ($0.rule, $0.outcome) })
        #expect(byRule["adviser-agency-files"] == .skipped(.role("partner-adviser")))
        #expect(byRule["partner-adviser-own-caseload"] == .skipped(.relation(.assigned, why: "the dossier is not assigned to the account")))
        #expect(byRule["partners-never-see-closed-files"] == .skipped(.state("registered")))
        #expect(byRule["admins-restore-versions"] == .skipped(.role("partner-adviser")))
        #expect(other.decision == .deny(Denial(reason: .noRule, rule: nil)))
        #expect(other.lines.last == "decision: DENY (no-rule)")

        let mine = policy.explain(partner, .read, facts(assigned: partner.account), purpose: nil)
        #expect(mine.steps.first { $0.rule == "partner-adviser-own-caseload" }?.outcome
                == .skipped(.purpose(stated: nil, allowed: ["disability-support"])))
        let granted = policy.explain(partner, .read, facts(assigned: partner.account), purpose: "disability-support")
        let step = try #require(granted.steps.first { $0.rule == "partner-adviser-own-caseload" })
        #expect(step.outcome == .matched && step.fields.contains("seeker.phone") && !step.fields.contains("seeker.nir"))
        #expect(granted.decision.grant?.readable == Set(step.fields))
        #expect(granted.lines.contains { $0.hasPrefix("decision: ALLOW by partner-adviser-own-caseload") })
        let closed = policy.explain(partner, .read, facts(status: "deregistered", assigned: partner.account), purpose: "disability-support")
        #expect(closed.decision == .deny(Denial(reason: .explicitDeny, rule: "partners-never-see-closed-files")))
        #expect(policy.explain(partner, .transition("suspend"), facts(assigned: partner.account), purpose: "disability-support")
                .steps.first { $0.rule == "partner-adviser-own-caseload" }?.outcome == .skipped(.action(.transition("suspend"))))
    }

    @Test("a break-glass grant carries the profile's mask and its record, only for the roles and types named")
    func breakGlassGrant() throws {
        let policy = Policy(profile: try Repo.profile(named: "emploi"))
        let adviser = Subject(account: AccountID(), role: "adviser", organisation: org, person: nil, territory: "75")
        let grant = try #require(policy.breakGlassRead(adviser, facts(organisation: OrganisationID()), record: "R1").grant)
        #expect(grant.breakGlass == "R1" && grant.rules == ["break-glass:R1"] && grant.writable.isEmpty)
        #expect(grant.readable.contains("seeker.lastName") && !grant.readable.contains("seeker.nir") && !grant.readable.contains("benefitRights"))
        let partner = Subject(account: AccountID(), role: "partner-adviser", organisation: org, person: nil, territory: "75")
        #expect(policy.breakGlassRead(partner, facts(), record: "R2") == .deny(Denial(reason: .breakGlassNotAllowed, rule: nil)))
        #expect(Policy(profile: try Repo.profile()).breakGlassRead(adviser, facts(type: "application"), record: "R3").grant == nil)
    }

    static func emploiText() throws -> String {
        try String(contentsOfFile: Repo.root.appendingPathComponent("profiles/emploi/profile.yaml").path, encoding: .utf8)
    }

    @Test("an allow rule must name the fields it returns")
    func allowNamesFields() throws {
        let text = try Self.emploiText().replacingOccurrences(of: "    read: [\"*\"]\n    write: [targetJob, lastContact, supportNeeds]",
                                                              with: "    write: [targetJob, lastContact, supportNeeds]")
        #expect(throws: ProfileError.self) { try ProfileLoader.parse(yaml: text, file: "p.yaml") }
        do { _ = try ProfileLoader.parse(yaml: text, file: "p.yaml") } catch let e as ProfileError {
            #expect(e.message.contains("an allow rule names the fields it returns"), "\(e)")
        }
    }

    @Test("break-glass is for staff roles only, with a bounded duration", arguments: [
        ("\n  roles: [adviser]\n", "\n  roles: [partner-adviser]\n", "only staff roles may break the glass"),
        ("  minutes: 30\n", "  minutes: 0\n", "from 1 to 480 minutes"),
        ("\n  read: [registeredOn,", "\n  read: [nothing,", "matches no field"),
    ])
    func breakGlassSectionChecked(_ from: String, _ to: String, _ message: String) throws {
        let text = try Self.emploiText().replacingOccurrences(of: from, with: to)
        #expect(text != (try Self.emploiText()))
        do { _ = try ProfileLoader.parse(yaml: text, file: "p.yaml"); Issue.record("accepted: \(to)") } catch let e as ProfileError {
            #expect(e.message.contains(message), "\(e)")
        }
    }
}
