// swift-tools-version:6.1
import PackageDescription

/// Settings every Gloss target shares (after Hummingbird's): explicit `any`, imports that
/// say what they expose, and no member visible through an import the file did not make.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Gloss",
    // The libraries an app embeds (GlossCore, GlossStore, GlossSync) build for both; the
    // server and the libcurl transport are for macOS and Linux.
    platforms: [.macOS(.v14), .iOS(.v17)],
    products: [
        .library(name: "GlossCore", targets: ["GlossCore"]),
        .library(name: "GlossFileModes", targets: ["GlossFileModes"]),
        .library(name: "GlossStore", targets: ["GlossStore"]),
        .library(name: "GlossSync", targets: ["GlossSync"]),
        .library(name: "GlossCurl", targets: ["GlossCurl"]),
        .library(name: "GlossServer", targets: ["GlossServer"]),
        .executable(name: "gloss", targets: ["gloss"]),
        .executable(name: "gloss-server", targets: ["gloss-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // Model, clocks, merge and wire types. Pure Swift; no I/O.
        .target(
            name: "GlossCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        // Owner-only modes (0600 files, 0700 folders) for the replica and the server's data.
        .target(name: "GlossFileModes", swiftSettings: swiftSettings),
        // Linked into the two executables only: one glibc malloc arena, set at load time.
        .target(name: "CMallocArenas"),
        // sqlite3_db_config for the defensive settings a snapshot is opened with (variadic in C).
        .systemLibrary(
            name: "CSQLiteDefensive",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        // The client replica: change log, materialized tables, search, import/export.
        .target(
            name: "GlossStore",
            dependencies: [
                "GlossCore", "GlossFileModes", "CSQLiteDefensive", .product(name: "GRDB", package: "GRDB.swift"),
                // SHA-256 of snapshot files: the server's builder and the client's check.
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedMigrations"]),
        // libcurl, the client's HTTP stack.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        // The sync engine, its async session, and the URLSession transport: what an app embeds.
        .target(
            name: "GlossSync",
            // Crypto: the SHA-256 of a snapshot download, taken as it is written.
            dependencies: ["GlossStore", "GlossCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        // The libcurl transport: the CLI's HTTP stack.
        .target(
            name: "GlossCurl",
            dependencies: ["GlossSync", "CCurl", .product(name: "CompressNIO", package: "compress-nio")],
            swiftSettings: swiftSettings),
        // The sync server: Hummingbird routes, auth, metrics, and its Storage. It links
        // GlossStore only to build snapshots in the replica's own schema (never GlossSync).
        .target(
            name: "GlossServer",
            dependencies: [
                "GlossCore", "GlossFileModes", "GlossStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedMigrations"]),
        // The `gloss-server` executable: serve, corpus, token.
        .executableTarget(
            name: "gloss-server",
            dependencies: [
                "GlossServer", "GlossCore", "GlossFileModes", "CMallocArenas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "server",
            swiftSettings: swiftSettings),
        // The `gloss` command-line client, one file per command.
        .executableTarget(
            name: "gloss",
            dependencies: [
                "GlossCore", "GlossStore", "GlossFileModes", "GlossSync", "GlossCurl", "CMallocArenas",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "client",
            swiftSettings: swiftSettings),
        // Re-anchoring evaluation: places examples/anchoring-eval/cases.jsonl (scripts/anchoring-eval).
        .executableTarget(name: "anchoring-eval", dependencies: ["GlossCore"], path: "Tools/anchoring-eval", swiftSettings: swiftSettings),
        // Build tool: turns Migrations/<set>/*.sql into Swift string constants.
        .executableTarget(name: "EmbedSQL", path: "Sources/EmbedSQL"),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["EmbedSQL"]),
        .testTarget(
            name: "GlossCoreTests",
            dependencies: ["GlossCore"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GlossStoreTests",
            dependencies: ["GlossStore", "GlossCore", "GlossFileModes", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GlossServerTests",
            dependencies: [
                "GlossServer", "GlossCore", "GlossStore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GlossSyncTests",
            dependencies: [
                "GlossSync", "GlossCurl", "GlossStore", "GlossCore", "GlossServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GlossSimulationTests",
            dependencies: [
                "GlossSync", "GlossStore", "GlossServer", "GlossCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GlossCLITests",
            dependencies: ["GlossCore"],
            swiftSettings: swiftSettings),
    ]
)
