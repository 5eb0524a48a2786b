public import Foundation
public import GuichetServer

/// The listener flags of `guichet serve` and `demo`, as given (nil: not given).
public struct ListenerFlags: Sendable, Equatable {
    public var host: String?
    public var port: Int?
    public var adminHost: String?
    public var adminPort: Int?
    /// Allow the admin listener off loopback (not recommended).
    public var allowPublicAdmin: Bool
    /// The public listener is off loopback behind a TLS-terminating proxy.
    public var behindTLSProxy: Bool

    public init(host: String? = nil, port: Int? = nil, adminHost: String? = nil, adminPort: Int? = nil,
                allowPublicAdmin: Bool = false, behindTLSProxy: Bool = false) {
        self.host = host; self.port = port; self.adminHost = adminHost; self.adminPort = adminPort
        self.allowPublicAdmin = allowPublicAdmin; self.behindTLSProxy = behindTLSProxy
    }
}

extension Deployment {
    /// Where the listeners bind: flags first, then `GUICHET_PUBLIC_HOST`, `GUICHET_PUBLIC_PORT`,
    /// `GUICHET_ADMIN_HOST`, `GUICHET_ADMIN_PORT`, then the settings, then 127.0.0.1:8080 and
    /// 127.0.0.1:8081; the admin listener's extra names from `GUICHET_ADMIN_HOST_NAMES`, then
    /// the settings; checked (``ListenerConfiguration/check(allowPublicAdmin:behindTLSProxy:)``).
    /// - Returns: the configuration, and warnings to print when a check was overridden.
    /// - Throws: ``DeploymentError`` for a port that is not a number or a refused configuration
    ///   (an admin listener off loopback, a public one off loopback without a TLS proxy...).
    public static func listeners(_ flags: ListenerFlags, settings s: Settings,
                                 environment env: [String: String] = ProcessInfo.processInfo.environment) throws
        -> (configuration: ListenerConfiguration, warnings: [String]) {
        func int(_ key: String) throws -> Int? {
            guard let v = env[key] else { return nil }
            guard let i = Int(v) else { throw DeploymentError("\(key) must be a port number") }
            return i
        }
        let c = ListenerConfiguration(
            publicHost: flags.host ?? env["GUICHET_PUBLIC_HOST"] ?? s.publicHost ?? "127.0.0.1",
            publicPort: try flags.port ?? int("GUICHET_PUBLIC_PORT") ?? s.publicPort ?? 8080,
            adminHost: flags.adminHost ?? env["GUICHET_ADMIN_HOST"] ?? s.adminHost ?? "127.0.0.1",
            adminPort: try flags.adminPort ?? int("GUICHET_ADMIN_PORT") ?? s.adminPort ?? 8081,
            adminHostNames: env["GUICHET_ADMIN_HOST_NAMES"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ?? s.adminHostNames ?? [])
        do { try c.check(allowPublicAdmin: flags.allowPublicAdmin, behindTLSProxy: flags.behindTLSProxy) } catch let e as ConfigurationError {
            throw DeploymentError(e.description)
        }
        var warnings: [String] = []
        if flags.allowPublicAdmin && !ListenerConfiguration.isLoopback(c.adminHost) {
            warnings.append("WARNING: the admin listener is exposed on \(c.adminHost) (--allow-public-admin). Anyone who reaches it can try to sign in as an administrator.")
        }
        if flags.behindTLSProxy && !ListenerConfiguration.isLoopback(c.publicHost) {
            warnings.append("WARNING: the public listener is off loopback on \(c.publicHost) without TLS of its own (--behind-tls-proxy): only a TLS proxy may reach it.")
        }
        return (c, warnings)
    }
}
