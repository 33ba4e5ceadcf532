// swift-tools-version:6.0
import PackageDescription

// Every target builds in Swift 6 mode with these checks on (STYLE.md §2).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Domain modules (PRODUCT.md's 25), lowest layer first. A module may depend only on modules
/// listed above it; SwiftPM rejects cycles and `scripts/check-imports` rejects undeclared imports.
/// Each lives in `Sources/Modules/<Name>` and owns the Postgres schema of its snake_case name.
let domainModules: [(name: String, dependsOn: [String])] = [
    ("Audit", []),
    ("FeatureFlags", ["Audit"]),
    ("Identity", ["Audit"]),
    ("Drivers", ["Audit", "Identity", "FeatureFlags"]),
    ("Vehicles", ["Audit", "Identity"]),
    ("Rating", ["Audit", "Drivers", "Vehicles"]),
    ("Underwriting", ["Audit", "Drivers", "Vehicles"]),
    ("Documents", ["Audit"]),
    ("Ledger", ["Audit"]),
    ("Jobs", ["Audit"]),
    ("OpsHealth", ["Audit", "Jobs", "FeatureFlags"]),
    
    ("Notifications", ["Audit", "Identity"]),
    ("Payments", ["Audit", "Identity"]),
    ("Wallet", ["Audit", "Identity", "Rating", "Ledger", "Payments", "Notifications", "Jobs", "FeatureFlags"]),
    ("Billing", ["Audit", "Identity", "Ledger", "Documents"]),
    ("Refunds", ["Audit", "Identity", "Rating", "Ledger", "Payments", "Wallet"]),
    ("WorkProviders", ["Audit", "Identity", "Jobs", "Wallet", "FeatureFlags"]),
    ("Quotes", ["Audit", "Identity", "Drivers", "Vehicles", "Rating", "Underwriting"]),
    ("Policies", ["Audit", "Identity", "Drivers", "Vehicles", "Rating", "Quotes", "Documents", "Ledger", "Payments", "Wallet", "Refunds"]),
    ("Cover", ["Audit", "Identity", "Jobs", "Rating", "WorkProviders", "Policies", "Wallet", "Ledger", "Notifications", "Vehicles"]),
    ("Claims", ["Audit", "Identity", "Policies", "Cover", "Notifications"]),
    ("Reconciliation", ["Audit", "Identity", "Ledger", "Payments"]),
    // The admin shell: home, search, navigation. It sees the other modules only through the
    // admin sections they contribute (AdminUI's protocol), so it depends on none of them.
    ("Admin", ["Audit"]),
]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

var targets: [Target] = [
    // C shims. Only `Postgres` imports CLibPQ, only `Cryptography` imports COpenSSL, only
    // `HTTPServer` imports CEpoll and CZlib (checked by scripts/check-imports).
    .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
    .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .target(name: "CEpoll"),

    // Leaves: each could be its own package tomorrow.
    .target(name: "Postgres", dependencies: ["CLibPQ"], swiftSettings: swiftSettings),
    .target(name: "Cryptography", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
    .target(name: "HTTPServer", dependencies: ["CEpoll", "CZlib", logging], swiftSettings: swiftSettings),

    // The sandbox card processor (PRODUCT.md "Payments"), runnable in-process or alone.
    .target(name: "SandboxPSP", dependencies: ["HTTPServer", "Cryptography", logging], swiftSettings: swiftSettings),
    .target(name: "Migrations", dependencies: ["Postgres", "Cryptography", logging], swiftSettings: swiftSettings),
    .target(name: "AppKernel", dependencies: ["HTTPServer", "Postgres", "Cryptography", logging],
            swiftSettings: swiftSettings),
    // The admin's platform: pages, permissions, layout, forms (no domain words).
    .target(name: "AdminUI", dependencies: ["AppKernel", "HTTPServer", "Postgres", "Cryptography", logging], swiftSettings: swiftSettings),
    .target(name: "TestSupport", dependencies: ["AppKernel", "Postgres", "Migrations", "HTTPServer", logging],
            swiftSettings: swiftSettings),
    .executableTarget(
        name: "Hourglass",
        dependencies: ["AppKernel", "AdminUI", "Postgres", "Migrations", "HTTPServer", "SandboxPSP", "Cryptography", argumentParser, logging]
            + domainModules.map { .target(name: $0.name) },
        swiftSettings: swiftSettings),

    .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer"], swiftSettings: swiftSettings),
    .testTarget(name: "PostgresTests", dependencies: ["Postgres", "AppKernel", "TestSupport"],
                swiftSettings: swiftSettings),
    .testTarget(name: "MigrationsTests", dependencies: ["Migrations", "Postgres", "TestSupport"],
                swiftSettings: swiftSettings),
    .testTarget(name: "AppKernelTests", dependencies: ["AppKernel", "Cryptography", "TestSupport"],
                swiftSettings: swiftSettings),
    // Pure domain logic (pricing, underwriting rules, formats) without sockets.
    .testTarget(name: "DomainTests", dependencies: ["Rating", "Underwriting", "Quotes", "Drivers", "Vehicles", "Billing", "Cover", "Documents", "AppKernel", "TestSupport"],
                swiftSettings: swiftSettings),
    // End-to-end tests run the executable's own module list (`installedModules`).
    .testTarget(name: "ServerTests",
                dependencies: ["AppKernel", "AdminUI", "Cryptography", "HTTPServer", "Postgres", "TestSupport", "Hourglass", "Migrations", "SandboxPSP", logging]
                    + domainModules.map { .target(name: $0.name) },
                swiftSettings: swiftSettings),
]

for module in domainModules {
    targets.append(.target(
        name: module.name,
        dependencies: ["AppKernel", "AdminUI", "HTTPServer", "Postgres", "Cryptography", logging] + module.dependsOn.map { .target(name: $0) },
        path: "Sources/Modules/\(module.name)",
        swiftSettings: swiftSettings))
}

let package = Package(
    name: "Hourglass",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "hourglass", targets: ["Hourglass"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: targets
)
