import AuthCore
import AuthLineProtocol
import AuthTestSupport
import NIOCore

/// Runs a LineServer on a free loopback port for the duration of `body`, then shuts it down
/// (cancellation takes the graceful path) and returns how long the shutdown took.
@discardableResult
func withLineServer(
    _ configuration: LineServer.Configuration = .init(port: 0), stack: TestStack? = nil,
    clientAttempts: RateLimiter.Configuration = .init(burst: 10, perSecond: 0.5),
    _ body: @Sendable (Int, TestStack) async throws -> Void
) async throws -> Duration {
    let stack = try await { () async throws -> TestStack in
        if let stack { return stack }
        return try await TestStack(backing: .memory)
    }()
    var configuration = configuration
    configuration.port = 0
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let server = LineServer(
        configuration: configuration,
        commands: LineCommands(
            service: stack.service, logger: TestDatabase.logger, clients: configuration.clients,
            clientAttempts: clientAttempts),
        logger: TestDatabase.logger, onListening: { continuation.yield($0.port ?? 0) })
    let running = Task { try await server.run() }
    var iterator = ports.makeAsyncIterator()
    let port = await iterator.next() ?? 0
    do {
        try await body(port, stack)
    } catch {
        running.cancel()
        _ = try? await running.value
        throw error
    }
    let start = ContinuousClock.now
    running.cancel()
    _ = try? await running.value
    let elapsed = ContinuousClock.now - start
    await stack.shutdown()
    return elapsed
}

extension TestStack {
    /// Registers a user and returns (name, access token).
    func userWithToken(password: String = "long enough pw") async throws -> (String, String) {
        let name = TestDatabase.uniqueName()
        _ = try await service.register(username: name, email: "\(name)@example.com", password: password)
        return (name, try await service.login(username: name, password: password).accessToken)
    }
}
