import GuichetCore
import GuichetStore
@_spi(GateOnly) import GuichetVault
@_spi(GateOnly) import GuichetPolicy

extension Gate {
    /// What a read returns and whose it is, from one decoding of each sealed map's field names
    /// (never their values): the granted paths actually present, and which of them belong to
    /// which person of the dossier (`role.field` for the fields that person holds). The latter
    /// goes into the ledger entry (`personFields`) so that a breach scope names exactly which
    /// fields of whom were exposed, even when two persons share a role (two parents) and only
    /// one holds a field.
    func exposure(_ record: DossierRecord, _ persons: [PersonID: PersonRecord], _ grant: Grant) throws
        -> (fields: [String], personFields: [PersonID: [String]]) {
        try sealing {
            var fields = Set(try vault.keys(record.fields)).intersection(grant.readable)
            if !record.partners.isEmpty, grant.readable.contains("partners") { fields.insert("partners") }
            var perPerson: [PersonID: Set<String>] = [:]
            for link in record.persons {
                guard let person = persons[link.person], person.key != nil else { continue }
                for name in try vault.keys(person.fields) {
                    let path = "\(link.role).\(name)"
                    guard grant.readable.contains(path) else { continue }
                    fields.insert(path)
                    perPerson[link.person, default: []].insert(path)
                }
            }
            return (fields.sorted(), perPerson.mapValues { $0.sorted() })
        }
    }
}
