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
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "GlossCore", targets: ["GlossCore"]),
        .library(name: "GlossStore", targets: ["GlossStore"]),
        .library(name: "GlossSync", targets: ["GlossSync"]),
        .executable(name: "gloss", targets: ["gloss"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Model, clocks, merge and wire types. Pure Swift; no I/O.
        .target(
            name: "GlossCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        // The client replica: change log, materialized tables, search, import/export.
        .target(
            name: "GlossStore",
            dependencies: ["GlossCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings,
            plugins: ["EmbedMigrations"]),
        // libcurl, the client's HTTP stack.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        // Sync engine and its libcurl transport.
        .target(
            name: "GlossSync",
            dependencies: ["GlossStore", "CCurl"],
            swiftSettings: swiftSettings),
        // The `gloss` command-line client, one file per command.
        .executableTarget(
            name: "gloss",
            dependencies: [
                "GlossCore", "GlossStore", "GlossSync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "client",
            swiftSettings: swiftSettings),
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
            dependencies: ["GlossStore", "GlossCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "GlossCLITests",
            dependencies: ["GlossCore"],
            swiftSettings: swiftSettings),
    ]
)
