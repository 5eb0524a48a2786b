import Foundation
import PostgresNIO

/// Where a PostgreSQL database is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, with an
/// optional `?sslmode=disable|prefer|require` (libpq's names; default `prefer`).
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public let host: String
    public let port: Int
    public let user: String
    public let password: String?
    public let database: String
    public let tls: TLSMode

    /// - Throws: ``PostgresStoreError/badAddress(_:)`` naming what is wrong (never the password).
    public init(parsing text: String) throws {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw PostgresStoreError.badAddress("it must start with postgres:// (postgres://USER@HOST:PORT/DATABASE)")
        }
        guard let host = url.host, !host.isEmpty else { throw PostgresStoreError.badAddress("it names no host") }
        guard let user = url.user, !user.isEmpty else { throw PostgresStoreError.badAddress("it names no user (postgres://USER@HOST/DATABASE)") }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw PostgresStoreError.badAddress("it names no database (postgres://USER@HOST/DATABASE)") }
        let port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw PostgresStoreError.badAddress("its port is out of range") }
        var tls = TLSMode.prefer
        for item in url.queryItems ?? [] {
            guard item.name == "sslmode", let value = item.value.flatMap(TLSMode.init(rawValue:)) else {
                throw PostgresStoreError.badAddress("only ?sslmode=disable, prefer or require is understood")
            }
            tls = value
        }
        self.host = host; self.port = port; self.user = user; self.password = url.password; self.database = database; self.tls = tls
    }

    init(host: String, port: Int, user: String, password: String?, database: String, tls: TLSMode) {
        self.host = host; self.port = port; self.user = user; self.password = password; self.database = database; self.tls = tls
    }

    /// The same server and credentials, another database.
    public func database(_ name: String) -> PostgresAddress {
        PostgresAddress(host: host, port: port, user: user, password: password, database: name, tls: tls)
    }

    /// The same server, database and TLS mode for another role, without a password (the
    /// address the servers get once ``PostgresStore/grantServerRole(_:)`` gave that role access).
    public func user(_ name: String) -> PostgresAddress {
        PostgresAddress(host: host, port: port, user: name, password: nil, database: database, tls: tls)
    }

    /// The address without its password (for logs and errors).
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// The address as `guichet.yaml` keeps it: everything but the password, so that the
    /// settings file never holds a secret (the password comes from `PGPASSWORD`, or from the
    /// whole address in `GUICHET_STORE`).
    public var setting: String { description + (tls == .prefer ? "" : "?sslmode=\(tls.rawValue)") }

    /// This address with a password when it names none (libpq's `PGPASSWORD`, given by the
    /// service's environment); one written in the address wins.
    public func password(orElse fallback: String?) -> PostgresAddress {
        guard password == nil, let fallback, !fallback.isEmpty else { return self }
        return PostgresAddress(host: host, port: port, user: user, password: fallback, database: database, tls: tls)
    }

    var configuration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS = switch tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: mode)
    }
}

/// A failure of the PostgreSQL back-end: a sentence for the operator, never a password or a
/// personal value.
public enum PostgresStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case badAddress(String)
    case unavailable(String)
    /// The database holds no Guichet schema, and the caller asked for an existing registry
    /// (nothing was created in it).
    case noRegistry(String)
    /// A role name that `guichet store grant` refuses before asking the database.
    case badRole(String)
    public var description: String {
        switch self {
        case .badAddress(let why): "the PostgreSQL address is not usable: \(why)"
        case .unavailable(let why): "PostgreSQL: \(why)"
        case .noRegistry(let address): "the PostgreSQL database \(address) holds no registry"
        case .badRole(let why): "the role cannot be used: \(why)"
        }
    }
}
