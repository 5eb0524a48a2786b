/// A profile that cannot be used, with where and what: `file:line:column: key: message`.
public struct ProfileError: Error, Sendable, CustomStringConvertible, Equatable {
    public let file: String
    public let line: Int
    public let column: Int
    /// The key path inside the file (`dossiers.application.fields.daysPerWeek.type`).
    public let key: String
    public let message: String

    public var description: String {
        let place = line > 0 ? "\(file):\(line):\(column)" : file
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}
