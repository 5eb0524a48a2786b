public import GuichetCore
public import Foundation
import GuichetAuth
import GuichetStore

/// A citizen's own data (GDPR art. 15 and 20): their person's fields and each of their dossiers
/// as they may read them, every read journalled like any other.
public struct CitizenExport: Sendable {
    public let person: PersonResult?
    public let dossiers: [DossierView]
}

extension Gate {
    /// Everything the signed-in citizen may read about themselves, through the gate: each
    /// dossier linking their person (archived or erased ones are left out), then their person.
    /// - Throws: 403 for an account that is not a citizen's with a person.
    public func exportOwnData(_ r: GateRequest) async throws -> CitizenExport {
        guard r.principal.kind == .citizen, let person = r.principal.person else {
            throw GuichetError.forbidden("the export is of a citizen's own data")
        }
        var views: [DossierView] = []
        for id in try await store.dossierIDs(linking: person).prefix(Self.maxLinksPerPerson) {
            do { views.append(try await read(id, r)) } catch GuichetError.notFound, GuichetError.forbidden(_) { continue }
        }
        let own: PersonResult?
        do { own = try await readPerson(person, r) } catch GuichetError.notFound { own = nil }
        return CitizenExport(person: own, dossiers: views)
    }
}
