public import Foundation

/// Who signs in through a provider: citizens (FranceConnect) or staff (ProConnect).
public enum FederatedPopulation: String, Codable, Sendable {
    case citizen, staff
}

/// One OpenID Connect provider, as configured in `guichet.yaml` under `oidc:` (docs/AUTHENTICATION.md).
/// The client secret is never in the file itself: it comes from a file or an environment
/// variable, is read at start-up, and appears in no log nor error.
public struct OIDCProviderSettings: Codable, Equatable, Sendable {
    /// A short name, in the routes: `/oidc/NAME/start`, `/oidc/NAME/callback`.
    public var name: String
    /// The issuer identifier (OpenID Connect Discovery 1.0 §2): https, or http on loopback for tests.
    public var issuer: String
    public var clientId: String
    /// A file holding the client secret (owner-only), or the name of an environment variable.
    public var clientSecretFile: String?
    public var clientSecretEnv: String?
    /// The redirect URI registered with the provider; its path must be `/oidc/NAME/callback`.
    public var redirectURI: String
    /// Citizens or staff: a subject linked to an account of the other population is refused.
    public var population: FederatedPopulation
    /// The `acr` values of this provider that count as Guichet's own second factor for staff
    /// (eIDAS substantial, say). Empty (the default): staff always pass Guichet's second factor.
    public var trustedACR: [String]?
    /// The `amr` values (RFC 8176: `mfa`, `hwk`, ...) of this provider that count as Guichet's
    /// own second factor for staff when any one is present. Empty (the default): none counts.
    public var trustedAMR: [String]?
    /// The `acr_values` asked of the provider, if any (space-separated).
    public var acrValues: String?
    /// Scopes asked besides `openid`.
    public var scopes: [String]?

    public init(name: String, issuer: String, clientId: String, clientSecretFile: String? = nil, clientSecretEnv: String? = nil,
                redirectURI: String, population: FederatedPopulation, trustedACR: [String]? = nil, trustedAMR: [String]? = nil,
                acrValues: String? = nil, scopes: [String]? = nil) {
        self.name = name; self.issuer = issuer; self.clientId = clientId; self.clientSecretFile = clientSecretFile
        self.clientSecretEnv = clientSecretEnv; self.redirectURI = redirectURI; self.population = population
        self.trustedACR = trustedACR; self.trustedAMR = trustedAMR; self.acrValues = acrValues; self.scopes = scopes
    }

    /// Whether a URL is https, or http to a loopback host (tests, a provider on the same machine).
    static func acceptable(_ url: URL) -> Bool {
        guard let scheme = url.scheme, let host = url.host, !host.isEmpty else { return false }
        return scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host))
    }

    /// Checks the settings and reads the client secret.
    /// - Throws: ``OIDCError/configuration(_:)`` naming what is wrong (never the secret).
    public func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> OIDCProvider {
        guard (1...32).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            throw OIDCError.configuration("oidc: a provider name has 1 to 32 letters, digits or '-'")
        }
        guard let issuerURL = URL(string: issuer), Self.acceptable(issuerURL) else {
            throw OIDCError.configuration("oidc \(name): issuer must be an https URL (http only on loopback)")
        }
        guard let redirect = URL(string: redirectURI), Self.acceptable(redirect) || redirect.scheme == "https",
              redirect.path == "/oidc/\(name)/callback" else {
            throw OIDCError.configuration("oidc \(name): redirectURI must be https (http only on loopback) and end with /oidc/\(name)/callback")
        }
        guard !clientId.isEmpty else { throw OIDCError.configuration("oidc \(name): clientId is empty") }
        let secret: String
        switch (clientSecretFile, clientSecretEnv) {
        case (let file?, nil):
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw OIDCError.configuration("oidc \(name): the client secret file cannot be read")
            }
            let mode = (try? FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? 0
            guard mode & 0o077 == 0 else {
                throw OIDCError.configuration("oidc \(name): the client secret file must be readable by its owner only (chmod 600)")
            }
            secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        case (nil, let variable?):
            secret = (environment[variable] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        default:
            throw OIDCError.configuration("oidc \(name): give exactly one of clientSecretFile and clientSecretEnv")
        }
        guard !secret.isEmpty else { throw OIDCError.configuration("oidc \(name): the client secret is empty") }
        return OIDCProvider(settings: self, issuerURL: issuerURL, redirect: redirect, secret: ClientSecret(secret))
    }
}

/// A client secret: kept in memory, printed as a placeholder.
public struct ClientSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let value: String
    init(_ value: String) { self.value = value }
    public var description: String { "<client secret>" }
    public var debugDescription: String { "<client secret>" }
}

/// A provider whose settings were checked and whose secret was read.
public struct OIDCProvider: Sendable {
    public let settings: OIDCProviderSettings
    public let issuerURL: URL
    public let redirect: URL
    let secret: ClientSecret
    public var name: String { settings.name }
    public var population: FederatedPopulation { settings.population }

    /// Whether this `acr`, or one of these `amr` values, stands for Guichet's own second
    /// factor: only values the settings trust; nothing is trusted by default.
    public func trusts(acr: String?, amr: [String]) -> Bool {
        if let acr, settings.trustedACR?.contains(acr) == true { return true }
        return !Set(amr).isDisjoint(with: settings.trustedAMR ?? [])
    }
}

/// Federated sign-in failures. Every message is safe to show and to log: it names the check
/// that failed, never a token, a code, a secret or a subject.
public enum OIDCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The settings are wrong (at start-up).
    case configuration(String)
    /// The provider could not be reached or answered something unusable.
    case provider(String)
    /// The sign-in was refused: unknown or used state, bad token, wrong nonce or audience.
    case refused(String)
    /// Too many sign-ins begun from one address and not finished.
    case tooMany(retryAfterSeconds: Int)

    public var description: String {
        switch self {
        case .configuration(let m): m
        case .provider(let m): "the identity provider: \(m)"
        case .refused(let m): "federated sign-in refused: \(m)"
        case .tooMany(let s): "too many sign-ins begun from this address; retry after \(s) s"
        }
    }
}
