/// The version of this build of Guichet, and what it was built with, without asking git (a
/// build from a source archive or in a container has no repository).
public enum GuichetVersion {
    /// The release: raise it with every tagged release (semantic versioning). The database's
    /// schema version is separate: migrations run at start-up (docs/OPERATIONS.md, "Upgrade").
    public static let number = "0.9.0"

    /// How this binary was built: configuration, compiler, platform.
    public static var build: String {
        #if DEBUG
        let configuration = "debug"
        #else
        let configuration = "release"
        #endif
        #if compiler(>=6.3)
        let compiler = "Swift 6.3+"
        #elseif compiler(>=6.2)
        let compiler = "Swift 6.2"
        #elseif compiler(>=6.1)
        let compiler = "Swift 6.1"
        #else
        let compiler = "Swift 6.0"
        #endif
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS)
        let os = "macos"
        #else
        let os = "other"
        #endif
        #if arch(x86_64)
        let arch = "x86_64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "other"
        #endif
        return "\(configuration) build, \(compiler), \(os)-\(arch)"
    }

    /// What `guichet --version` prints: `0.9.0 (release build, Swift 6.1, linux-x86_64)`.
    public static var description: String { "\(number) (\(build))" }
}
