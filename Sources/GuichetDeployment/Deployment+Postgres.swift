import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
public import GuichetPostgres
import GuichetServer
import GuichetStore
import GuichetVault

/// Where a data folder's registry lives.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// SQLite, in the folder (`guichet.sqlite`): one server.
    case sqlite(String)
    /// A PostgreSQL database, shared by every server of the registry.
    case postgres(PostgresAddress)

    /// Where it is, without a password.
    public var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let address): address.description
        }
    }
}

extension Deployment {
    /// Where the registry lives: `--store`, then `GUICHET_STORE`, then `store:` in `guichet.yaml`;
    /// none of them (or `sqlite`): SQLite in the folder. A PostgreSQL address is
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`;
    /// without a password in it, `PGPASSWORD` gives one (as for libpq's tools).
    /// - Throws: ``DeploymentError`` for an address that does not read, saying why (never its password).
    public func storeLocation(_ flag: String? = nil, settings: Settings? = nil) throws -> StoreLocation {
        let text = flag ?? ProcessInfo.processInfo.environment["GUICHET_STORE"] ?? (settings ?? (try? readSettings()))?.store
        guard let text, !text.isEmpty, text != "sqlite" else { return .sqlite(database) }
        do {
            return .postgres(try Self.postgresAddress(text))
        } catch {
            throw DeploymentError("store: \(error) (expected sqlite or postgres://USER@HOST:PORT/DATABASE)")
        }
    }

    /// A PostgreSQL address as typed or written, its password from `PGPASSWORD` when it has
    /// none (as libpq's tools take it).
    /// - Throws: ``PostgresStoreError`` for an address that does not read.
    static func postgresAddress(_ text: String) throws -> PostgresAddress {
        try PostgresAddress(parsing: text).password(orElse: ProcessInfo.processInfo.environment["PGPASSWORD"])
    }

    /// What to tell the operator when the address written to `guichet.yaml` had a password:
    /// the file keeps the address without it, so every later command needs it from the environment.
    /// - Returns: nil when the address carried no password (or is not a PostgreSQL address).
    public static func passwordLeftOut(of text: String?) -> String? {
        guard let text, let address = try? PostgresAddress(parsing: text), address.password != nil else { return nil }
        return "the database password was not written to guichet.yaml: give it to every server and command in PGPASSWORD "
            + "(or the whole address in GUICHET_STORE), from the service's environment or a secrets manager"
    }

    /// Refuses a command that works on the SQLite file of the folder when the folder's
    /// registry lives on PostgreSQL, saying what to use instead.
    /// - Throws: ``DeploymentError``.
    public func requireSQLite(_ command: String, instead: String) throws {
        if case .postgres(let address) = try storeLocation() {
            throw DeploymentError("'\(command)' works on a SQLite data folder; the registry of \(folder.path) lives in the PostgreSQL database \(address): \(instead)")
        }
    }

    /// The registry opened on PostgreSQL with every start-up check, and the server over it,
    /// which takes part in the election of the checkpoint signer.
    /// - Parameter creating: `guichet init`: refuse a database that already holds a registry.
    func openPostgres(_ address: PostgresAddress, profilePath: String, keys: FileKeyProvider, settings: Settings,
                      creating: Bool = false, elect: Bool = true) async throws -> (opened: OpenedRegistry, server: GuichetServer, store: PostgresStore) {
        try await openPostgres(try await Self.connect(address, empty: creating), profilePath: profilePath, keys: keys, settings: settings,
                               creating: creating, elect: elect)
    }

    /// Connects to the database (bringing its tables up to date).
    /// - Parameter empty: refuse a database that already holds a registry (`guichet init`);
    ///   false: refuse one that holds none (a mistyped address must not start an empty registry).
    static func connect(_ address: PostgresAddress, empty: Bool = false) async throws -> PostgresStore {
        let store: PostgresStore
        let noRegistry = "the PostgreSQL database \(address) holds no registry: create one there with 'guichet init --store', "
            + "or move one with 'guichet store copy'; nothing was changed"
        do { store = try await PostgresStore.open(address, existing: !empty) } catch PostgresStoreError.noRegistry {
            throw DeploymentError(noRegistry)
        } catch {
            throw DeploymentError("the PostgreSQL database \(address) cannot be used: \(error)")
        }
        do {
            let holds = try await store.meta("registry-id") != nil
            if empty, holds {
                throw DeploymentError("the PostgreSQL database \(address) already holds a registry; nothing was changed")
            }
            if !empty, !holds { throw DeploymentError(noRegistry) }
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// `guichet store grant`: gives `role` what the servers of this folder's PostgreSQL registry
    /// need and no more (``PostgresStore/grantServerRole(_:)``), connected as the folder's
    /// address (the tables' owner).
    /// - Returns: what was granted, and the address the servers then use: the folder's, with
    ///   the role as user, its TLS mode kept and no password.
    /// - Throws: ``DeploymentError`` when the registry is on SQLite, the database does not
    ///   answer or holds no registry, or the role cannot be given it (saying why).
    public func grantServerRole(_ role: String) async throws -> (grant: ServerRoleGrant, serverAddress: PostgresAddress) {
        guard exists else { throw DeploymentError("no registry in \(folder.path)") }
        guard case .postgres(let address) = try storeLocation() else {
            throw DeploymentError("'guichet store grant' works on a PostgreSQL registry; the registry of \(folder.path) is SQLite's file, "
                + "which no other role reaches (keep the folder its owner's only)")
        }
        let store = try await Self.connect(address)
        do {
            let grant = try await store.grantServerRole(role)
            await store.close()
            return (grant, address.user(role))
        } catch let e as PostgresStoreError {
            await store.close()
            throw DeploymentError(e.description)
        } catch {
            await store.close()
            throw error
        }
    }

    /// As ``openPostgres(_:profilePath:keys:settings:creating:)``, on a store already connected.
    /// - Parameter elect: take part in the election of the checkpoint signer (a server that
    ///   serves); a console command does not (an operator's audit: one-shot commands said they
    ///   were elected to sign and to run the retention and the SIEM export).
    func openPostgres(_ store: PostgresStore, profilePath: String, keys: FileKeyProvider, settings: Settings,
                      creating: Bool = false, elect: Bool = true) async throws -> (opened: OpenedRegistry, server: GuichetServer, store: PostgresStore) {
        do {
            let profile = try Self.loadProfile(profilePath)
            let opened: OpenedRegistry
            do {
                opened = try await Registry.open(storage: store, ledger: store.ledger,
                                                 journal: { store.ledger.journal(signer: $0, origin: $1, sourceKey: $2) },
                                                 profile: profile, keys: keys, keysOrigin: keys.origin, options: try options(profile, settings: settings))
            } catch let e as KeyError { throw DeploymentError(e.description) } catch let e as RegistryError {
                throw DeploymentError(e.description.replacingOccurrences(of: "the data folder holds", with: "the PostgreSQL database holds"))
            }
            try await keepErasures(opened.gate, keys: keys, shared: true)
            let server = try server(gate: opened.gate, auth: opened.auth, store: store, settings: settings,
                                    signing: creating || !elect ? nil : PostgresSignerElection(store.ledger), cursors: store)
            return (opened, server, store)
        } catch {
            await store.close()
            throw error
        }
    }
}
