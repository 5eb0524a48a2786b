public import GuichetCore
import GuichetStore
public import GuichetLedger
public import GuichetGate
import GuichetMerkle
import Foundation

/// How a citizen's access history is shown: staff as role and organisation (never a name or
/// an account), fields with their labels, and each entry with its inclusion proof.
public enum HistoryView {
    public static func json(_ h: AccessHistory, store: any GateStorage & BreachStorage, language: String, profile: Profile? = nil) async throws -> JSON {
        var names: [OrganisationID: String] = [:]
        for id in Set(h.items.compactMap(\.organisation)) { names[id] = try await store.organisation(id)?.name }
        return .object([
            "checkpoint": h.checkpoint?.json ?? .null,
            "next": h.next.map { .number(Double($0)) } ?? .null,
            "accesses": .array(h.items.map { i in
                .object([
                    "index": .number(Double(i.index)), "at": .string(ScopeFormat.time(i.at)), "action": .string(i.action),
                    "decision": .string(i.allowed ? "allow" : "deny"), "byYou": .bool(i.byThemself),
                    "role": i.role.map(JSON.string) ?? .null,
                    "organisation": i.organisation.map { .object(["id": .string($0.rawValue), "name": names[$0].map(JSON.string) ?? .null]) } ?? .null,
                    "purpose": i.purpose.map(JSON.string) ?? .null,
                    "fields": .array(i.fields.map(JSON.string)),
                    "fieldLabels": .array(i.fields.map { .string(Labels.field($0, language: language, profile: profile)) }),
                    "dossiers": .array(i.dossiers.map { .string($0.rawValue) }),
                    "entry": .string(i.entry.base64EncodedString()),
                    "leafHash": .string(MerkleHash.leaf(i.entry).base64),
                    "proof": i.proof.map { .array($0.hashes.map { .string($0.base64) }) } ?? .null,
                    "treeSize": i.proof.map { .number(Double($0.treeSize)) } ?? .null,
                ])
            }),
        ])
    }
}
