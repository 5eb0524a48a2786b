public import Foundation
public import GuichetCore
import GRDB

extension Store {
    /// Stores many new persons (sealed, each with its wrapped data key and blind-index terms)
    /// and version 1 of each, in one transaction: the bulk path of an import.
    /// - Precondition: every person has a data key (a new person always has one).
    /// - Throws: ``StoreError/duplicate(_:)`` when an id is taken; nothing is stored then.
    public func importPersons(_ persons: [NewPerson], at: Date, by: AccountID?) async throws {
        try await write { db in
            for p in persons { try Self.insert(db, person: p, at: at, by: by, change: "import") }
        }
    }
}
