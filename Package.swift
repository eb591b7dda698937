// swift-tools-version:6.0
import PackageDescription

/// Every command-line tool is a thin executable target named as the user types it,
/// with its `@main` type in `Sources/<tool>/<UpperCamelTool>.swift`.
let tools = [
    "apr-execute",
    "apr-propose",
    "apr-quorum",
    "gov-migrate",
    "readback",
    "patch-apply",
    "grant-mint",
    "handler-bind",
    "apr-list",
    "apr-show",
    "apr-log",
    "apr-cancel",
]

let package = Package(
    name: "aprkit",
    products: tools.map { .executable(name: $0, targets: [$0]) }
        + [.library(name: "AprKit", targets: ["AprKit"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CJansson",
            pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"])]
        ),
        // The schema is SQL files embedded at build time (Sources/AprKit/SQL):
        // a byte array each, no Foundation and no bundle to install.
        .target(name: "AprKit", dependencies: ["CLibPQ", "CJansson", "CCrypto"], resources: [.embedInCode("SQL")]),
        .target(
            name: "AprCLI",
            dependencies: [
                "AprKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "_AprTestSupport", dependencies: ["AprKit"], path: "Tests/_AprTestSupport"),
        .testTarget(name: "AprKitTests", dependencies: ["AprKit", "_AprTestSupport"]),
        .testTarget(
            name: "AprEndToEndTests",
            dependencies: ["AprKit", "_AprTestSupport"] + tools.map { .target(name: $0) }
        ),
    ] + tools.map { .executableTarget(name: $0, dependencies: ["AprCLI"]) }
)
