// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "EdgeSync",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "EdgeSyncModels", targets: ["EdgeSyncModels"]),
        .library(name: "MQTT", targets: ["MQTT"]),
        .library(name: "Server", targets: ["Server"]),
        .executable(name: "platform-tui", targets: ["PlatformTUI"]),
        .executable(name: "edge-agent", targets: ["Agent"]),
        .executable(name: "edge-bench", targets: ["EdgeBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "EdgeSyncModels",
            dependencies: ["CZstd", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(
            name: "MQTT",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .target(
            name: "Server",
            dependencies: [
                "EdgeSyncModels",
                "MQTT",
                "CSQLitePacing",
                "CThreadScheduling",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            resources: [.embedInCode("Resources/openapi.yaml")]
        ),
        .target(name: "CSQLitePacing", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(name: "CThreadScheduling"),
        .systemLibrary(
            name: "CNCurses",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "EdgeSyncConsole",
            dependencies: [
                "Server",
                "EdgeSyncModels",
                "CNCurses",
                "CCurl",
                "ChildProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(name: "PlatformTUI", dependencies: ["EdgeSyncConsole"]),
        .target(name: "ChildProcess", dependencies: ["CSpawn"]),
        .target(name: "CSpawn"),
        .executableTarget(
            name: "Agent",
            dependencies: [
                "EdgeSyncModels",
                "MQTT",
                "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "EdgeBench",
            dependencies: [
                "EdgeSyncModels", "MQTT", "Server", "EdgeSyncConsole", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/EdgeBench"
        ),
        .testTarget(
            name: "EdgeSyncModelsTests",
            dependencies: [
                "EdgeSyncModels",
                "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: ["EdgeSyncModels", "ChildProcess", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "MQTTTests",
            dependencies: [
                "MQTT",
                "TestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server",
                "TestSupport",
                "MQTT",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "PlatformTUITests",
            dependencies: ["EdgeSyncConsole", "Server", "TestSupport"]
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent",
                "Server",
                "MQTT",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ]
)
