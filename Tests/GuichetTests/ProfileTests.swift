import Foundation
import Testing
@testable import GuichetBreach
import GuichetCore
import GuichetProfile

/// Profiles load when right and are refused, with file, line, key and reason, when wrong.
@Suite struct ProfileTests {
    @Test("the place05 profile loads with its workflow, roles and rules")
    func place05Loads() throws {
        let p = try Repo.profile()
        #expect(p.name == "place05")
        let app = try #require(p.dossierTypes["application"])
        #expect(app.workflow.initial == "waiting")
        #expect(Set(app.workflow.transitions.keys) == ["offer", "accept", "decline", "close", "withdraw"])
        #expect(Set(p.roles.keys) == ["parent", "agent", "daycare", "analyst", "admin", "security"])
        #expect(p.personField("nam")?.classification == .nationalID)
        #expect(p.rules.count == 6)
        // A child holds no account (no claim code); a parent, and any role that says nothing, may.
        #expect(app.persons.first { $0.role == "child" }?.account == false && app.persons.first { $0.role == "parent" }?.account == true)
        #expect(!p.mayHoldAccount(links: [("application", "child")]) && p.mayHoldAccount(links: [("application", "child"), ("application", "parent")]))
        #expect(p.mayHoldAccount(links: []))
        // secu's dependants neither: no rule gives them a file to see (pages audit).
        let secu = try Repo.profile(named: "secu")
        #expect(!secu.mayHoldAccount(links: [("insured-account", "dependant")]) && secu.mayHoldAccount(links: [("insured-account", "insured")]))
    }

    static let valid = try! String(contentsOfFile: Repo.place05 + "/profile.yaml", encoding: .utf8)

    struct Broken: Sendable, CustomStringConvertible {
        let name: String
        let replace: String
        let with: String
        let key: String
        let message: String
        var description: String { name }
    }

    static let broken: [Broken] = [
        Broken(name: "unknown classification", replace: "nam:       {type: national-id, format: nam, class: national-id",
               with: "nam:       {type: national-id, format: nam, class: secret", key: "person.nam.class", message: "unknown classification"),
        Broken(name: "unknown field type", replace: "daysPerWeek:    {type: integer", with: "daysPerWeek:    {type: number",
               key: "dossiers.application.fields.daysPerWeek.type", message: "unknown field type"),
        Broken(name: "transition to an undeclared state", replace: "accept:   {from: [offered], to: placed}",
               with: "accept:   {from: [offered], to: enrolled}", key: "dossiers.application.workflow.transitions.accept.to", message: "'enrolled' is not one of the states"),
        Broken(name: "rule naming an unknown role", replace: "roles: [daycare]\n    dossiers: [application]\n    when: partner",
               with: "roles: [nursery]\n    dossiers: [application]\n    when: partner", key: "rules.[1].roles", message: "unknown role 'nursery'"),
        Broken(name: "rule reading a field that does not exist", replace: "child.firstName, child.birthDate",
               with: "child.firstName, child.shoeSize", key: "rules.[1].read", message: "'child.shoeSize' matches no field"),
        Broken(name: "misspelt key", replace: "    allow: [versions, restore]", with: "    alow: [versions, restore]",
               key: "rules.[4].alow", message: "unknown key"),
        Broken(name: "rule allowing an unknown transition", replace: "\"transition:offer\"", with: "\"transition:reject\"",
               key: "rules.[1].allow", message: "has no transition 'reject'"),
        Broken(name: "national identifier not classified national-id", replace: "format: nam, class: national-id",
               with: "format: nam, class: identity", key: "person.nam.class", message: "must be classified national-id"),
        Broken(name: "YAML syntax error", replace: "language: fr", with: "language: [fr", key: "", message: "not valid YAML"),
        Broken(name: "label without a language code", replace: "daysPerWeek:    {type: integer",
               with: "daysPerWeek:    {label: {French: \"jours\"}, type: integer", key: "dossiers.application.fields.daysPerWeek.label.French",
               message: "per language code"),
        Broken(name: "a default other than today", replace: "desiredStart:   {type: date, class: public, required: true",
               with: "desiredStart:   {type: date, class: public, required: true, default: tomorrow",
               key: "dossiers.application.fields.desiredStart.default", message: "the only default is 'today'"),
        Broken(name: "a number field defaulting to today", replace: "daysPerWeek:    {type: integer",
               with: "daysPerWeek:    {default: today, type: integer", key: "dossiers.application.fields.daysPerWeek.default",
               message: "only a date field"),
        Broken(name: "partners' order that is not true or false", replace: "partners: {kind: daycare, min: 1, max: 10}",
               with: "partners: {kind: daycare, min: 1, max: 10, ordered: sometimes}", key: "dossiers.application.partners.ordered", message: "true or false"),
        Broken(name: "a dossier type's label without a language code", replace: "label: {fr: \"Demande de place\", en: \"Childcare application\"}",
               with: "label: {French: \"Demande\"}", key: "dossiers.application.label.French", message: "per language code"),
        Broken(name: "a person role's account that is not true or false", replace: "child:  {min: 1, max: 1, account: false}",
               with: "child:  {min: 1, max: 1, account: never}", key: "dossiers.application.persons.child.account", message: "true or false"),
    ]

    @Test("a broken profile is refused with its file, line, key and what is wrong", arguments: broken)
    func brokenProfileIsRefused(_ b: Broken) throws {
        #expect(Self.valid.contains(b.replace), "fixture must apply")
        let text = Self.valid.replacingOccurrences(of: b.replace, with: b.with)
        #expect { try ProfileLoader.parse(yaml: text, file: "broken.yaml") } throws: { error in
            guard let e = error as? ProfileError else { return false }
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(b.with.split(separator: "\n").first!) }.map { $0 + 1 }
            return e.file == "broken.yaml" && e.key == b.key && e.message.contains(b.message) && e.line > 0
                && (b.key.isEmpty || line == nil || abs(e.line - line!) <= 3)
                && e.description.hasPrefix("broken.yaml:\(e.line):")
        }
    }

    @Test("letters and histories name fields as the profile labels them, in its language, with the built-in table behind")
    func profileLabels() throws {
        let emploi = try Repo.profile(named: "emploi")
        #expect(Labels.field("disability", language: "fr", profile: emploi) == "reconnaissance de handicap")
        // A field that names its person takes no second mention of it.
        #expect(Labels.field("seeker.registryId", language: "en", profile: emploi) == "job-seeker identifier")
        #expect(Labels.field("seeker.registryId", language: "fr", profile: emploi) == "identifiant de demandeur d'emploi")
        // A person's field named alone (as the file page names a person's fields) takes its label too.
        #expect(Labels.field("registryId", language: "en", profile: emploi) == "job-seeker identifier")
        #expect(Labels.field("registryId", language: "fr", profile: emploi) == "identifiant de demandeur d'emploi")
        #expect(Labels.field("seeker.birthDate", language: "fr", profile: emploi) == "date de naissance du demandeur d'emploi",
                "built-in field label, profile role label")
        #expect(Labels.field("disability", language: "fr") == "disability", "without the profile, the name itself")
        let secu = try Repo.profile(named: "secu")
        #expect(Labels.field("dependant.firstName", language: "fr", profile: secu) == "prénom de l'ayant droit")
        #expect(Labels.field("reimbursements", language: "en", profile: secu) == "health-care reimbursements")
        // A dossier type and its partners take labels too (the pages' words): secu's employers,
        // in no order of preference; place05's services stay in order.
        let account = try #require(secu.dossierTypes["insured-account"])
        #expect(account.labels["fr"] == "Compte d'assuré" && account.labels["en"] == "Insured person's account")
        #expect(account.partners?.labels["en"] == "employers" && account.partners?.one["fr"] == "employeur" && account.partners?.ordered == false)
        #expect(Labels.field("partners", language: "en", profile: secu) == "employers")
        let place05 = try Repo.profile(named: "place05")
        #expect(place05.dossierTypes["application"]?.partners?.ordered == true)
        #expect(Labels.field("partners", language: "fr", profile: place05) == "services choisis")
        // Every field and person role of the four reference profiles has a French and English label.
        for name in ["place05", "emploi", "jeunes", "secu"] {
            let p = try Repo.profile(named: name)
            for t in p.dossierTypes.values {
                for f in t.fields {
                    for language in ["fr", "en"] {
                        #expect(f.labels[language] != nil || Labels.fields[f.name] != nil, "\(name): \(f.name) has no \(language) label")
                    }
                }
                for link in t.persons where !["child", "parent"].contains(link.role) {
                    #expect(link.labels["fr"] != nil && link.labels["en"] != nil, "\(name): role \(link.role) has no labels")
                }
            }
        }
    }

    @Test("a missing profile file is refused with its path")
    func missingFile() {
        #expect { try ProfileLoader.load(path: "/nonexistent/profile.yaml") } throws: { error in
            (error as? ProfileError)?.description == "/nonexistent/profile.yaml: cannot read the file"
        }
    }
}
