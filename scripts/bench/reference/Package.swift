// swift-tools-version: 6.2
// The benchmark's reference: a bare Hummingbird 2 route returning a small JSON, built in release
// like authd, so `make bench` can state authd's throughput as a ratio to what the framework alone
// does on the same machine in the same run.
import PackageDescription

let package = Package(
    name: "reference",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1")
    ],
    targets: [
        .executableTarget(
            name: "Reference",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        )
    ]
)
