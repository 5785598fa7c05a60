import AuthConfig
import AuthCore
import AuthCrypto
import AuthHTTP
import AuthLineProtocol
import AuthPostgres
import AuthTelemetry
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Wires the parts together and runs them in one ServiceGroup with graceful shutdown.
struct Daemon {
    let settings: Settings
    let logger: Logger
    /// Validate configuration and stacks, then exit without serving or touching the database.
    var checkOnly = false

    func run() async throws {
        // Before anything creates a counter: those made earlier would stay with the no-op backend.
        let registry = settings.metricsEnabled ? Telemetry.bootstrapPrometheus() : nil
        let pool = PostgresPool(
            configuration: .init(
                connectionString: settings.database.url, maxConnections: settings.database.maxConnections,
                acquireTimeout: settings.database.poolTimeout),
            logger: logger)
        let hashing = HashingPool(configuration: settings.passwords.hashing)
        let resources = Resources(pool: pool, hashing: hashing)

        let migrator = Migrator(
            migrations: try Migrator.load(directory: settings.database.migrationsPath), logger: logger)

        let users = PostgresUserStore(pool: pool)
        let horizon = settings.tokens.accessTokenLifetime + settings.tokens.leeway
        let directory = PostgresDirectoryStore(pool: pool, revocationHorizon: horizon)
        let revocations = RevocationState(configuration: settings.revocation)
        let mfa = PostgresMFAStore(pool: pool)
        let hasher = try PasswordHasher(parameters: settings.passwords.scrypt)
        let passwordPolicy = settings.passwords.policy
        let service = try AuthService(
            configuration: .init(
                accessTokenLifetime: settings.tokens.accessTokenLifetime,
                passwordPolicy: passwordPolicy, attemptLimit: settings.attemptLimit, sessions: settings.sessions,
                registrationLimit: settings.registrationLimit, accountLimit: settings.accountLimit,
                addressGrouping: settings.addressGrouping),
            users: users, lockouts: PostgresLockoutStore(pool: pool), hashing: hashing, hasher: hasher,
            tokens: AccessTokenCodec(
                keyring: settings.tokens.keyring,
                validation: .init(
                    issuer: settings.tokens.issuer, audience: settings.tokens.audience, leeway: settings.tokens.leeway)),
            revocations: revocations, sessions: PostgresSessionStore(pool: pool, revocationHorizon: horizon),
            secondFactor: settings.mfa.map { SecondFactor(policy: $0.policy, store: mfa, keyring: $0.keyring) },
            logger: logger,
            stacks: .files(try settings.stackFiles()))
        let admin = AdminService(
            configuration: .init(passwordPolicy: passwordPolicy), directory: directory, mfa: mfa, users: users,
            hashing: hashing,
            hasher: hasher, revocations: revocations, logger: logger)
        if checkOnly {
            logger.notice("configuration and stacks are valid", metadata: ["stacks": "\(service.services)"])
            await resources.close()
            return
        }
        let connectionLimit = HTTPConnectionLimit(maximum: settings.http.maximumConnections)
        let http = Application(
            router: HTTPFrontEnd(
                service: service, admin: admin, configuration: settings.http.frontEnd,
                readiness: PostgresReadiness(pool: pool, migrator: migrator, revocations: revocations),
                metrics: registry.map(Self.exposition),
                logger: Logger(label: "authd.http")
            ).router(),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [connectionLimit.handler()],
                    idleTimeout: TimeAmount(settings.http.idleTimeout))),
            configuration: .init(address: .hostname(settings.http.host, port: settings.http.port), serverName: nil),
            onServerRunning: { channel in
                logger.info("HTTP API listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger)

        let line = LineServer(
            configuration: settings.line,
            commands: LineCommands(service: service, logger: logger, clients: settings.line.clients), logger: logger)

        let listener = PostgresRevocationListener(
            configuration: .init(connectionString: settings.database.url), state: revocations, logger: logger)

        // ServiceGroup stops services in reverse order: the front ends drain before the listener
        // and the pools close.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: resources), .init(service: listener), .init(service: http), .init(service: line),
        ]
        if settings.database.migrateOnStart {
            // Runs beside the front ends so /readyz can say why while the database is away; done
            // when the schema is current.
            services.append(
                .init(
                    service: MigrationService(pool: pool, migrator: migrator, logger: logger),
                    successTerminationBehavior: .ignore))
        }
        var group = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Past the deadline (plus a second for the pools to close) whatever still runs is cancelled.
        group.maximumGracefulShutdownDuration = settings.shutdownDeadline + .seconds(1)
        group.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: group).run()
    }
}

extension Daemon {
    static func exposition(_ registry: PrometheusCollectorRegistry) -> HTTPFrontEnd.MetricsExposition {
        { registry.emitToBuffer() }
    }
}

/// Owns the thread pools and connections; closes them once everything that uses them has stopped.
struct Resources: Service {
    let pool: PostgresPool
    let hashing: HashingPool

    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    func close() async {
        await pool.close()
        await hashing.shutdown()
    }
}
