import Foundation
import Testing
import GuichetCore

/// Every word of the shipped profiles that the pages show (a role, a state, a person's role in
/// a file, a choice's value) has a text in French and in English: the youth-support manager's
/// page said "État active", "dispositif suivi none" and "(office-manager)" (an audit of R2-R4).
struct ProfileLabelTextTests {
    @Test("the roles, purposes, states, steps, persons' roles and choices of the four profiles read in French and English on the pages",
          arguments: ["place05", "jeunes", "secu", "emploi"])
    func everyWordHasItsTexts(profile name: String) throws {
        let profile = try Repo.profile(named: name)
        var keys = Set(profile.roles.keys.map { "role_" + $0 })
        // Purposes and workflow steps too (a pages audit: `young-person-request`, `pause`, `reopen`).
        keys.formUnion(profile.purposes.map { "purpose_" + $0 })
        for type in profile.dossierTypes.values {
            keys.formUnion(type.workflow.states.map { "state_" + $0 })
            keys.formUnion(type.workflow.transitions.keys.map { "transition_" + $0 })
            keys.formUnion(type.persons.map { "person_" + $0.role })
            for field in type.fields {
                // A one-letter code (emploi's categories A to E) reads as itself in any language.
                if case .choice(let values) = field.type { keys.formUnion(values.filter { $0.count > 1 }.map { "choice_" + $0 }) }
            }
        }
        for language in ["fr", "en"] {
            let url = Repo.root.appendingPathComponent("Sources/GuichetServer/Pages/Web/texts/\(language).json")
            let texts = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: url))
            let missing = keys.filter { texts[$0]?.isEmpty ?? true }.sorted()
            #expect(missing.isEmpty, "\(name), \(language): no text for \(missing)")
            // A file's type is named on the citizens' pages ("My files", "My data"): by the
            // profile's `label`, else a text (a pages audit found "youth-file", "insured-account").
            for type in profile.dossierTypes.values {
                #expect(type.labels[language] != nil || texts["type_" + type.name] != nil, "\(name), \(language): no label for the type \(type.name)")
            }
            // Organisations a file is addressed to other than place05's services in order of
            // preference are named by the profile (secu's employers, emploi's agency).
            for type in profile.dossierTypes.values {
                guard let partners = type.partners, !partners.ordered else { continue }
                #expect(partners.labels[language] != nil && partners.one[language] != nil, "\(name), \(language): no label for the partners of \(type.name)")
            }
        }
    }
}
