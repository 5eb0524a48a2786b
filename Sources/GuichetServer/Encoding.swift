import GuichetCore
import GuichetGate
import GuichetStore
import Foundation

/// The wire form of what the gate returns. This is the one place where field values are
/// revealed, and it only ever receives what the vault opened under a journal receipt.
enum Wire {
    /// UTC, to the second, with its `Z` (RFC 3339: a time without an offset would be read as
    /// the reader's local time).
    static func timestamp(_ d: Date) -> JSON {
        .string(d.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)
            .timeZone(separator: .omitted)))
    }

    static func fields(_ f: [String: FieldValue]) -> JSON { .object(f.mapValues(\.revealedJSON)) }

    static func dossier(_ v: DossierView) -> JSON {
        var o: [String: JSON] = [
            "id": .string(v.id.rawValue), "type": .string(v.type), "status": .string(v.status),
            "version": .number(Double(v.version)), "createdAt": timestamp(v.createdAt), "updatedAt": timestamp(v.updatedAt),
            "fields": fields(v.fields),
            "persons": .array(v.persons.map { .object(["role": .string($0.role), "id": .string($0.id.rawValue), "fields": fields($0.fields)]) }),
        ]
        if let p = v.partners { o["partners"] = .array(p.map { .string($0.rawValue) }) }
        if !v.erasedRoles.isEmpty { o["erasedRoles"] = .array(v.erasedRoles.map(JSON.string)) }
        return .object(o)
    }

    static func write(_ w: WriteResult) -> JSON {
        .object(["id": .string(w.id.rawValue), "status": .string(w.status), "version": .number(Double(w.version)),
                 "persons": .array(w.persons.map { .object(["role": .string($0.role), "id": .string($0.person.rawValue)]) })])
    }

    static func version(_ v: VersionInfo) -> JSON {
        .object(["version": .number(Double(v.version)), "changedAt": timestamp(v.changedAt),
                 "changedBy": v.changedBy.map { .string($0.rawValue) } ?? .null, "change": .string(v.change),
                 "status": .string(v.status)])
    }

    /// A caseload request, listed with the account requests (`kind` is `caseload-assign` or
    /// `caseload-transfer`; `account` takes the dossiers).
    static func caseloadRequest(_ r: CaseloadRequest, status: String = "pending") -> JSON {
        var o: [String: JSON] = ["id": .string(r.id), "kind": .string("caseload-\(r.kind.rawValue)"), "account": .string(r.to.rawValue),
                                 "dossiers": .array(r.dossiers.map { .string($0.rawValue) }), "requestedBy": .string(r.requestedBy.rawValue),
                                 "requestedAt": timestamp(r.requestedAt), "status": .string(status)]
        if let from = r.from { o["from"] = .string(from.rawValue) }
        return .object(o)
    }

    /// The deactivation of a privileged account waiting for a second administrator, listed
    /// with the account requests (`kind` is `deactivate`).
    static func departureRequest(_ r: DepartureRequest, status: String = "pending") -> JSON {
        .object(["id": .string(r.id), "kind": .string("deactivate"), "account": .string(r.account.rawValue),
                 "requestedBy": .string(r.requestedBy.rawValue), "requestedAt": timestamp(r.requestedAt), "status": .string(status)])
    }

    static func organisation(_ o: Organisation) -> JSON {
        .object(["id": .string(o.id.rawValue), "kind": .string(o.kind), "name": .string(o.name),
                 "territory": o.territory.map(JSON.string) ?? .null,
                 "capacity": o.capacity.map { .number(Double($0)) } ?? .null])
    }

    static func account(_ a: AccountRecord) -> JSON {
        .object(["id": .string(a.id.rawValue), "username": .string(a.username), "role": .string(a.role),
                 "organisation": a.organisation.map { .string($0.rawValue) } ?? .null,
                 "person": a.person.map { .string($0.rawValue) } ?? .null,
                 "territory": a.territory.map(JSON.string) ?? .null,
                 "status": .string(a.status), "createdAt": timestamp(a.createdAt)])
    }
}
