/// How the columns of a CSV file become dossiers of one type and their persons
/// (`guichet import`, `docs/OPERATIONS.md`, "Importing an existing registry"). Read from a
/// mapping file by `GuichetProfile`'s ``MappingLoader``, which checks it against the profile.
public struct ImportMapping: Sendable, Equatable {
    /// Where one column's cells go.
    public enum Target: Sendable, Equatable, CustomStringConvertible {
        /// A dossier field (`desiredStart`).
        case dossierField(String)
        /// A field of the `index`-th person (from 1) of a link role (`parent[2].lastName`).
        case personField(role: String, index: Int, field: String)
        /// The dossier's workflow state (default: the type's initial state).
        case status
        /// The day the dossier began, `YYYY-MM-DD` (an application date; default: the day of the import).
        case createdAt
        /// The day of the dossier's last change in the old system, `YYYY-MM-DD` (when it reached
        /// its state: retention counts from it; default: the day of the import).
        case updatedAt
        /// The name of the organisation that owns the dossier.
        case organisation
        /// The name of one partner organisation; several columns give them in order, empty cells are skipped.
        case partner
        /// A column read and dropped (named, so that nothing in the file is dropped silently).
        case ignore

        public var description: String {
            switch self {
            case .dossierField(let f): f
            case .personField(let role, let index, let field): index == 1 ? "\(role).\(field)" : "\(role)[\(index)].\(field)"
            case .status: "dossier.status"
            case .createdAt: "dossier.createdAt"
            case .updatedAt: "dossier.updatedAt"
            case .organisation: "dossier.organisation"
            case .partner: "dossier.partner"
            case .ignore: "ignore"
            }
        }
    }

    /// One column of the file and its target.
    public struct Column: Sendable, Equatable {
        /// The header as written in the file's first line.
        public let header: String
        public let target: Target
        public init(header: String, target: Target) { self.header = header; self.target = target }
    }

    /// The dossier type every line creates.
    public let dossierType: String
    /// Every column of the file, in the mapping's order.
    public let columns: [Column]
    /// The byte between cells: `,` (RFC 4180) unless the mapping says `;` or a tab.
    public let delimiter: UInt8

    public init(dossierType: String, columns: [Column], delimiter: UInt8 = UInt8(ascii: ",")) {
        self.dossierType = dossierType; self.columns = columns; self.delimiter = delimiter
    }

    /// The column that feeds a target, if any (the first, for `dossier.partner`).
    public func column(for target: Target) -> String? {
        columns.first { $0.target == target }?.header
    }

    /// The person slots the mapping fills, by role then index.
    public var personSlots: [(role: String, index: Int)] {
        var seen: [(role: String, index: Int)] = []
        for c in columns {
            if case .personField(let role, let index, _) = c.target, !seen.contains(where: { $0.role == role && $0.index == index }) {
                seen.append((role, index))
            }
        }
        return seen
    }
}
