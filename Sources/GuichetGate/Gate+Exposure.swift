import GuichetCore
import GuichetStore
import GuichetVault

extension Gate {
    /// Which of the returned paths belong to which person of the dossier: a person's paths are
    /// `role.field` for the fields that person actually holds. Recorded in the ledger entry
    /// (`personFields`) so that a breach scope names exactly which fields of whom were
    /// exposed, even when two persons share a role (two parents) and only one holds a field.
    func personFields(_ record: DossierRecord, _ persons: [PersonID: PersonRecord], _ returned: [String]) throws -> [PersonID: [String]] {
        let wanted = Set(returned)
        var out: [PersonID: [String]] = [:]
        for link in record.persons {
            guard let person = persons[link.person], person.key != nil else { continue }
            let paths = try sealing { try vault.keys(person.fields) }.map { "\(link.role).\($0)" }.filter(wanted.contains)
            if !paths.isEmpty { out[link.person, default: []] += paths }
        }
        return out.mapValues { Array(Set($0)).sorted() }
    }
}
