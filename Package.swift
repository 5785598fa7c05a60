// swift-tools-version: 6.2
import PackageDescription

/// The project's own targets build in Swift 6 mode and treat warnings as errors.
let strict: [SwiftSetting] = [
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "authd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "authd", targets: ["authd"]),
        .executable(name: "authctl", targets: ["authctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(
            url: "https://github.com/apple/swift-configuration", from: "1.4.0",
            traits: ["YAML", "CommandLineArguments"]),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CXCrypt", pkgConfig: "libxcrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "AuthCrypto", dependencies: ["COpenSSL", "CXCrypt", "CArgon2"], swiftSettings: strict),
        .target(name: "QRCode", swiftSettings: strict),
        .target(name: "AuthWebAuthn", dependencies: ["AuthCrypto"], swiftSettings: strict),
        .target(
            name: "AuthTelemetry",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthCore",
            dependencies: [
                "AuthCrypto", "AuthWebAuthn",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(name: "AuthMemory", dependencies: ["AuthCore", "AuthCrypto"], swiftSettings: strict),
        .target(
            name: "AuthPostgres",
            dependencies: [
                "AuthCore", "AuthCrypto", "CLibPQ",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthHTTP",
            dependencies: [
                "AuthCore", "AuthCrypto", "AuthImport", "AuthTelemetry", "QRCode",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthMail",
            dependencies: [
                "AuthCore", "AuthCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthOutbound",
            dependencies: [
                "AuthCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthLineProtocol",
            dependencies: [
                "AuthCore", "AuthCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthConfig",
            dependencies: [
                "AuthCore", "AuthCrypto", "AuthHTTP", "AuthHookServers", "AuthLDAP", "AuthLineProtocol", "AuthMail",
                "AuthOutbound", "AuthWebAuthn",
                "AuthRADIUS", .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "authd",
            dependencies: [
                "AuthConfig", "AuthCore", "AuthCrypto", "AuthHTTP", "AuthHookServers", "AuthLineProtocol",
                "AuthLDAP", "AuthMail", "AuthOutbound", "AuthPostgres", "AuthRADIUS",
                "AuthTelemetry", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "AuthImport", dependencies: ["AuthCore", "CSQLite"], swiftSettings: strict),
        .target(
            name: "AuthHooks", dependencies: ["AuthCore", "AuthCrypto", "AuthLineProtocol"], swiftSettings: strict),
        .target(
            name: "AuthRADIUS",
            dependencies: [
                "AuthCore", "AuthCrypto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthLDAP",
            dependencies: [
                "AuthCore", "AuthCrypto",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthHookServers",
            dependencies: [
                "AuthCore", "AuthCrypto", "AuthLineProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "authctl",
            dependencies: [
                "AuthConfig", "AuthCore", "AuthCrypto", "AuthHTTP", "AuthHooks", "AuthImport", "AuthLineProtocol",
                "AuthMail",
                "AuthPostgres", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "AuthTestSupport",
            dependencies: [
                "AuthCore", "AuthMemory", "AuthPostgres", "AuthCrypto", "AuthWebAuthn",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/AuthTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthMemoryTests",
            dependencies: ["AuthCore", "AuthCrypto", "AuthMemory", "AuthPostgres", "AuthTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "AuthCryptoTests", dependencies: ["AuthCrypto", "AuthTestSupport"], swiftSettings: strict),
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode"], swiftSettings: strict),
        .testTarget(
            name: "AuthWebAuthnTests", dependencies: ["AuthWebAuthn", "AuthCrypto", "AuthTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "AuthTelemetryTests",
            dependencies: ["AuthTelemetry", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthCoreTests",
            dependencies: [
                "AuthCore", "AuthCrypto", "AuthMemory", "AuthPostgres", "AuthTestSupport", "AuthWebAuthn",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthPostgresTests",
            dependencies: ["AuthCore", "AuthPostgres", "AuthTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthImportTests",
            dependencies: ["AuthCore", "AuthImport", "AuthPostgres", "AuthTestSupport", "CSQLite"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthHookServersTests", dependencies: ["AuthHookServers", "AuthCore", "AuthTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "AuthRADIUSTests",
            dependencies: [
                "AuthRADIUS", "AuthCore", "AuthCrypto", "AuthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "AuthOutboundTests",
            dependencies: [
                "AuthOutbound", "AuthCore", "AuthCrypto", "AuthTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthMailTests",
            dependencies: [
                "AuthMail", "AuthCore", "AuthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthLDAPTests",
            dependencies: [
                "AuthLDAP", "AuthCore", "AuthCrypto", "AuthTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(name: "AuthHooksTests", dependencies: ["AuthHooks", "AuthLineProtocol"], swiftSettings: strict),
        .testTarget(
            name: "AuthConfigTests", dependencies: ["AuthConfig", "AuthCore", "AuthCrypto"], swiftSettings: strict),
        .testTarget(
            name: "AuthHTTPTests",
            dependencies: [
                "AuthCore", "AuthCrypto", "AuthHTTP", "AuthPostgres", "AuthTelemetry", "AuthTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuthLineProtocolTests",
            dependencies: [
                "AuthCore", "AuthCrypto", "AuthHooks", "AuthLineProtocol", "AuthPostgres", "AuthTestSupport",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "AuthPostgres", "AuthTestSupport", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
    ]
)

// libFuzzer targets, only for `make fuzz` (scripts/fuzz.sh sets AUTHD_FUZZ=1 and builds them with
// -sanitize=fuzzer,address into .build-fuzz); ordinary builds never see them.
if Context.environment["AUTHD_FUZZ"] == "1" {
    package.targets += [
        .target(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"),
        .executableTarget(
            name: "FuzzLineCodec", dependencies: ["AuthLineProtocol", "CFuzzerDriver"], path: "Fuzz/FuzzLineCodec"),
        .executableTarget(
            name: "FuzzAccessToken", dependencies: ["AuthCrypto", "CFuzzerDriver"], path: "Fuzz/FuzzAccessToken"),
        .executableTarget(name: "FuzzCBOR", dependencies: ["AuthWebAuthn", "CFuzzerDriver"], path: "Fuzz/FuzzCBOR"),
        .executableTarget(
            name: "FuzzDPoPProof", dependencies: ["AuthCrypto", "CFuzzerDriver"], path: "Fuzz/FuzzDPoPProof"),
        .executableTarget(name: "FuzzPHC", dependencies: ["AuthCrypto", "CFuzzerDriver"], path: "Fuzz/FuzzPHC"),
        .executableTarget(
            name: "FuzzOAuthForm", dependencies: ["AuthHTTP", "CFuzzerDriver"], path: "Fuzz/FuzzOAuthForm"),
        .executableTarget(
            name: "FuzzDovecotAuth", dependencies: ["AuthHookServers", "CFuzzerDriver"], path: "Fuzz/FuzzDovecotAuth"),
        .executableTarget(
            name: "FuzzRadius", dependencies: ["AuthRADIUS", "CFuzzerDriver"], path: "Fuzz/FuzzRadius"),
        .executableTarget(name: "FuzzBER", dependencies: ["AuthLDAP", "CFuzzerDriver"], path: "Fuzz/FuzzBER"),
        .executableTarget(
            name: "FuzzSMTPReply",
            dependencies: ["AuthMail", "CFuzzerDriver", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/FuzzSMTPReply"),
    ]
}
