public import GuichetCore
import GuichetMerkle
import Foundation

extension CheckpointReference {
    /// `{"size":…, "rootHash": base64, "note": …}`.
    public var json: JSON {
        .object(["size": .number(Double(size)), "rootHash": .string(rootHash.base64), "note": .string(note)])
    }
}

extension ScopeEvent {
    public var json: JSON {
        .object(["index": .number(Double(index)), "at": .string(ScopeFormat.time(at)), "action": .string(action),
                 "decision": .string(allowed ? "allow" : "deny"), "reason": .string(reason),
                 "account": account.map { .string($0.rawValue) } ?? .null, "source": source.map(JSON.string) ?? .null,
                 "dossiers": .array(dossiers.map { .string($0.rawValue) }), "persons": .array(persons.map { .string($0.rawValue) }),
                 "fields": .array(fields.map(JSON.string))])
    }
}

extension BreachScope {
    /// The scope as JSON: identifiers and field names only, never a personal value.
    /// - Parameter timeline: include every matched event (long); the counts are always there.
    public func json(timeline: Bool = false) -> JSON {
        var o: [String: JSON] = [
            "query": query.json,
            "checkpoint": checkpoint.json,
            "entriesMatched": .number(Double(entriesMatched)),
            "approximate": .bool(approximate),
            "personCount": .number(Double(persons.count)),
            "persons": .array(persons.map { p in
                .object(["person": .string(p.person.rawValue), "fields": .array(p.fields.map(JSON.string)),
                         "dossierFields": .array(p.dossierFields.map(JSON.string)),
                         "dossiers": .array(p.dossiers.map { .string($0.rawValue) }),
                         "entries": .array(p.entries.map { .number(Double($0)) }),
                         "firstAt": .string(ScopeFormat.time(p.firstAt)), "lastAt": .string(ScopeFormat.time(p.lastAt))])
            }),
            "dossiers": .array(dossiers.map { d in
                .object(["dossier": .string(d.dossier.rawValue), "fields": .array(d.fields.map(JSON.string)),
                         "entries": .array(d.entries.map { .number(Double($0)) })])
            }),
            "fieldCounts": .object(fieldCounts.mapValues { .number(Double($0)) }),
            "writes": .array(writes.map(\.json)),
            "attempts": .array(attempts.map(\.json)),
            "claimCodes": .array(claimCodes.map { c in
                .object(["person": .string(c.person.rawValue), "dossiers": .array(c.dossiers.map { .string($0.rawValue) }),
                         "entry": .number(Double(c.entry)), "at": .string(ScopeFormat.time(c.at)),
                         "claimedBy": c.claimedBy.map { .string($0.rawValue) } ?? .null,
                         "claimEntry": c.claimEntry.map { .number(Double($0)) } ?? .null,
                         "claimedAt": c.claimedAt.map { .string(ScopeFormat.time($0)) } ?? .null])
            }),
            "accountsEnabled": .array(accountsEnabled.map { e in
                .object(["account": .string(e.account.rawValue), "action": .string(e.action), "entry": .number(Double(e.entry)),
                         "at": .string(ScopeFormat.time(e.at))])
            }),
            // How many, never which: the list let a stolen officer's account learn every decoy
            // of a reach from the scope of an account that merely listed it (insider audit).
            "decoys": .object(["persons": .number(Double(decoyPersons.count)), "dossiers": .number(Double(decoyDossiers.count))]),
        ]
        if timeline { o["events"] = .array(events.map(\.json)) }
        return .object(o)
    }

    /// The scope as CSV (RFC 4180): one row per exposed person field, per exposed dossier
    /// field, one counting the honeytokens reached, per claim code issued, and per refused
    /// attempt; every row names the checkpoint it was computed from.
    public func csv() -> String {
        var lines = ["kind,person,dossier,field,entries,first_at,last_at,checkpoint_size,checkpoint_root"]
        let cp = "\(checkpoint.size),\(checkpoint.rootHash.base64)"
        func row(_ cells: [String]) -> String { (cells.map(Self.csvField) + [cp]).joined(separator: ",") }
        for p in persons {
            for f in p.fields {
                lines.append(row(["person-field", p.person.rawValue, p.dossiers.map(\.rawValue).joined(separator: " "), f,
                                  "\(p.entries.count)", ScopeFormat.time(p.firstAt), ScopeFormat.time(p.lastAt)]))
            }
        }
        for d in dossiers {
            for f in d.fields { lines.append(row(["dossier-field", "", d.dossier.rawValue, f, "\(d.entries.count)", "", ""])) }
        }
        if !decoyPersons.isEmpty || !decoyDossiers.isEmpty {
            lines.append(row(["decoys", "", "", "persons:\(decoyPersons.count) dossiers:\(decoyDossiers.count)", "", "", ""]))
        }
        // A claim code: the files it opens, and in the field column who claimed it.
        for c in claimCodes {
            lines.append(row(["claim-code", c.person.rawValue, c.dossiers.map(\.rawValue).joined(separator: " "),
                              c.claimedBy.map { "claimed-by:" + $0.rawValue } ?? "unclaimed", "1",
                              ScopeFormat.time(c.at), c.claimedAt.map(ScopeFormat.time) ?? ""]))
        }
        // An account the scoped one enabled: its id in the field column, to scope it too.
        for e in accountsEnabled {
            lines.append(row(["account-enabled", "", "", "account:" + e.account.rawValue + " " + e.action, "1",
                              ScopeFormat.time(e.at), ScopeFormat.time(e.at)]))
        }
        for a in attempts {
            lines.append(row(["attempt", "", a.dossiers.map(\.rawValue).joined(separator: " "), a.action, "1",
                              ScopeFormat.time(a.at), ScopeFormat.time(a.at)]))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// One CSV field, quoted when it must be (RFC 4180). A field that a spreadsheet would take
    /// for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return: an
    /// incident's title, say) starts with an apostrophe, so that opening the export runs
    /// nothing (an attacker test wrote `=HYPERLINK(…)` into an incident). Identifiers, field
    /// names, counts and times never start so.
    public static func csvField(_ s: String) -> String {
        var s = s
        if let first = s.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
