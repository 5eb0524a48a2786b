/// What a published figure's rows or columns count by: values stored in clear on every
/// dossier, so that statistics never decrypt a personal field.
public enum StatisticDimension: String, Sendable, CaseIterable {
    /// The dossier's territory (none: "").
    case territory
    /// The dossier's workflow state.
    case status
    /// How long since the dossier was created, in bands (``waitingBands``).
    case waiting

    /// The bands of `waiting`, with their upper bounds in days (the last one has none).
    public static let waitingBands: [(label: String, days: Int?)] = [("0-3m", 91), ("3-6m", 182), ("6-12m", 365), ("12-24m", 730), ("24m+", nil)]
}

/// A published aggregate the profile declares (C14): a two-way table of dossier counts, with
/// its written definition in each language.
public struct StatisticFigure: Sendable, Equatable {
    public let id: String
    public let dossierType: String
    /// Only dossiers in these states count; empty: every state.
    public let states: [String]
    public let rows: StatisticDimension
    public let columns: StatisticDimension
    public let definition: [String: String]
    public init(id: String, dossierType: String, states: [String], rows: StatisticDimension, columns: StatisticDimension, definition: [String: String]) {
        self.id = id; self.dossierType = dossierType; self.states = states; self.rows = rows; self.columns = columns; self.definition = definition
    }
}

/// The profile's published statistics: figures, and the smallest count shown.
public struct StatisticsSpec: Sendable, Equatable {
    /// Counts from 1 to `threshold - 1` are suppressed (and others to protect them).
    public var threshold: Int = 10
    public var figures: [StatisticFigure] = []
    public init() {}
}
