/// What a published figure's rows or columns count by: values stored in clear on every
/// dossier, so that statistics never decrypt a personal field.
public enum StatisticDimension: String, Sendable, CaseIterable {
    /// The dossier's territory (none: "").
    case territory
    /// The dossier's workflow state.
    case status
    /// How long since the dossier was created, in bands (``waitingBands``).
    case waiting
    /// The age band of the dossier's person of the role ``AgeBands/person`` names, from a
    /// keyed tag of its birth year kept for this (``AgeBands``); `unknown` when there is none.
    case age

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

/// Age bands for statistics (the profile's `statistics.age`): the birth year of the person
/// field `field` (a date) is kept in clear beside each person when it is written, a
/// deliberate, coarse disclosure (docs/LIFECYCLE.md), so that counts by age decrypt nothing.
/// An age is the age reached during the year of the count (the year of the count minus the
/// birth year, INSEE's "âge en différence de millésimes").
public struct AgeBands: Sendable, Equatable {
    /// The role of the person whose age counts (at most one per dossier of the figures).
    public let person: String
    /// The person field holding the birth date.
    public let field: String
    /// The bands, from age 0, contiguous; the last is open (`upTo` nil).
    public let bands: [Band]
    public struct Band: Sendable, Equatable {
        public let label: String
        public let from: Int
        /// The last age in the band; nil: no upper bound.
        public let upTo: Int?
        public init(label: String, from: Int, upTo: Int?) { self.label = label; self.from = from; self.upTo = upTo }
    }
    /// The band of a dossier without a birth year (none given, or its person erased).
    public static let unknown = "unknown"
    public init(person: String, field: String, bands: [Band]) { self.person = person; self.field = field; self.bands = bands }
    /// The labels a table has, in order: the bands, then `unknown`.
    public var labels: [String] { bands.map(\.label) + [Self.unknown] }
}

/// The profile's published statistics: figures, and the smallest count shown.
public struct StatisticsSpec: Sendable, Equatable {
    /// Counts from 1 to `threshold - 1` are suppressed (and others to protect them).
    public var threshold: Int = 10
    public var figures: [StatisticFigure] = []
    /// Age bands, when a figure counts by age.
    public var age: AgeBands?
    public init() {}
}
