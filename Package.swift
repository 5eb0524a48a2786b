// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Guichet",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "guichet", targets: ["guichet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(name: "GuichetCore", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetProfile", dependencies: [
            "GuichetCore",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetPolicy", dependencies: ["GuichetCore"], swiftSettings: swiftSettings),
        .target(name: "GuichetStore", dependencies: [
            "GuichetCore",
            .product(name: "GRDB", package: "GRDB.swift"),
            // SQLite's own interface, for the few reads where GRDB's row wrappers cost more
            // than SQLite (ledger verification, Store+Ledger.swift): the same library GRDB links.
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetMerkle", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetLedger", dependencies: [
            "GuichetCore", "GuichetStore", "GuichetMerkle",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        // GuichetVault's FieldCipher also imports CCryptoBoringSSL, the BoringSSL module that
        // the Crypto product is built on (no product of its own, nothing more to build): AES-GCM
        // with a key expanded once per subject (docs/KEYS.md).
        .target(name: "GuichetVault", dependencies: [
            "GuichetCore", "GuichetStore",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetMFA", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetMail", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetAuth", dependencies: [
            "GuichetCore", "GuichetStore", "GuichetMFA", "GuichetMail",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        // Federated sign-in (OpenID Connect, code flow with PKCE): discovery, the provider's
        // keys, the one-time state of a sign-in, ID token verification (jwt-kit).
        .target(name: "GuichetOIDC", dependencies: [
            "GuichetCore",
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetWatch", dependencies: [
            "GuichetCore", "GuichetStore",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetGate", dependencies: [
            "GuichetCore", "GuichetPolicy", "GuichetStore", "GuichetLedger", "GuichetVault", "GuichetAuth", "GuichetMerkle", "GuichetWatch",
            "GuichetMFA", "GuichetMail",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        // The regulator report's texts in French and English (`texts/report.json`).
        .target(name: "GuichetBreach", dependencies: [
            "GuichetCore", "GuichetStore", "GuichetLedger", "GuichetGate", "GuichetMerkle", "GuichetMail",
        ], resources: [.copy("texts")], swiftSettings: swiftSettings),
        // The PostgreSQL back-end (issue 19), through postgres-nio: the ledger's storage
        // (`LedgerStorage`, appends serialised by an advisory lock) and the authenticator's,
        // the watch's and the breach register's (`PostgresStore`).
        .target(name: "GuichetPostgres", dependencies: [
            "GuichetCore", "GuichetStore", "GuichetLedger", "GuichetMerkle", "GuichetWatch", "GuichetBreach", "GuichetAuth", "GuichetGate",
            "GuichetImport", "GuichetServer",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        // `guichet import` as a library: a streaming CSV reader and batches through the gate.
        .target(name: "GuichetImport", dependencies: [
            "GuichetCore", "GuichetStore", "GuichetGate",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetSynth", dependencies: [
            "GuichetCore", "GuichetStore", "GuichetVault",
        ], swiftSettings: swiftSettings),
        // `guichet simulate` as a library, so that the tests run it in-process.
        .target(name: "GuichetSimulation", dependencies: [
            "GuichetCore", "GuichetStore", "GuichetAuth", "GuichetGate", "GuichetVault", "GuichetSynth", "GuichetMFA", "GuichetWatch",
        ], swiftSettings: swiftSettings),
        .target(name: "GuichetServer", dependencies: [
            "GuichetCore", "GuichetAuth", "GuichetGate", "GuichetPolicy", "GuichetStore", "GuichetLedger", "GuichetMerkle", "GuichetMFA", "GuichetMail",
            "GuichetWatch", "GuichetBreach", "GuichetOIDC",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Mustache", package: "swift-mustache"),
        ], resources: [.copy("Pages/Citizen"), .copy("Pages/Web")], swiftSettings: swiftSettings),
        // A data folder (settings, keys, profile) opened as every subcommand opens it; the demo
        // registries; what the command line does, as a library the tests run in-process.
        .target(name: "GuichetDeployment", dependencies: [
            "GuichetCore", "GuichetProfile", "GuichetPolicy", "GuichetStore", "GuichetVault", "GuichetAuth", "GuichetMFA", "GuichetMail",
            "GuichetGate", "GuichetServer", "GuichetSynth", "GuichetWatch", "GuichetOIDC", "GuichetPostgres", "GuichetImport", "GuichetLedger",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "guichet", dependencies: [
            "GuichetCore", "GuichetProfile", "GuichetPolicy", "GuichetStore", "GuichetAuth", "GuichetGate", "GuichetServer",
            "GuichetLedger", "GuichetMerkle", "GuichetMail", "GuichetBreach", "GuichetSimulation", "GuichetDeployment", "GuichetImport",
            "GuichetPostgres",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),
        // The benchmark suite (scripts/bench, docs/BENCHMARKS.md): its insecure baseline and
        // plaintext paths exist only here, never in the `guichet` product.
        .executableTarget(name: "guichet-bench", dependencies: [
            "GuichetCore", "GuichetProfile", "GuichetPolicy", "GuichetStore", "GuichetLedger", "GuichetVault", "GuichetAuth",
            "GuichetGate", "GuichetMFA", "GuichetServer", "GuichetSynth", "GuichetImport", "GuichetPostgres",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
            // Creates and drops the throw-away databases of the PostgreSQL variants.
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ], path: "Sources/GuichetBench", swiftSettings: swiftSettings),
        .testTarget(name: "GuichetTests", dependencies: [
            "GuichetCore", "GuichetProfile", "GuichetPolicy", "GuichetStore", "GuichetAuth",
            "GuichetLedger", "GuichetVault", "GuichetGate", "GuichetMFA", "GuichetMerkle", "GuichetWatch",
            .product(name: "Crypto", package: "swift-crypto"), "GuichetServer", "GuichetSynth", "GuichetMail",
            "GuichetBreach", "GuichetSimulation", "GuichetDeployment", "GuichetImport", "GuichetOIDC", "GuichetPostgres",
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Vectors"], swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
    ]
)
