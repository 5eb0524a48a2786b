public import Foundation
public import GuichetCore
public import GuichetStore

/// What the breach register needs of a database: incidents, kept for good, and their change
/// history.
///
/// Owned by the register, so that a back-end implements it without the register knowing its
/// SQL (issue #19, item 1): SQLite's ``Store`` conforms. A back-end MUST never delete an
/// incident nor a change, and MUST record the change of `update` in the same transaction as
/// the update.
public protocol BreachStorage: Sendable {
    /// Stores a new incident.
    func insert(incident: BreachIncidentRecord) async throws
    /// Replaces an incident's fields and records the change, by whom.
    func update(incident: BreachIncidentRecord, by: AccountID?, change: String) async throws
    /// Records a change of an incident without changing its fields (letters sent, a note).
    func appendIncidentChange(_ id: String, change: String, at: Date, by: AccountID?) async throws
    /// One incident, if it exists.
    func incident(_ id: String) async throws -> BreachIncidentRecord?
    /// Every incident, in the order of detection.
    func incidents() async throws -> [BreachIncidentRecord]
    /// An incident's changes, oldest first.
    func incidentChanges(_ id: String) async throws -> [BreachIncidentChange]
}

extension Store: BreachStorage {}
