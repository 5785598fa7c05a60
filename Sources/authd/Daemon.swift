import AuthConfig
import AuthCore
import AuthCrypto
import AuthHTTP
import AuthHookServers
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
        let postgres = PostgresStores(
            pool: .init(
                connectionString: settings.database.url, maxConnections: settings.database.maxConnections,
                acquireTimeout: settings.database.poolTimeout),
            retention: settings.retention, logger: logger)
        let pool = postgres.pool
        // Migrations hold a session-level advisory lock: behind a transaction-mode pooler they
        // need database.listen_url's direct connection.
        let sessionPool =
            settings.database.listenURL == nil
            ? pool
            : PostgresPool(
                configuration: .init(connectionString: settings.database.sessionURL, maxConnections: 1), logger: logger)
        let assembly: AuthAssembly
        do {
            assembly = try await AuthAssembly(
                stores: postgres.stores, configuration: try settings.assembly(), logger: logger)
        } catch {
            await postgres.close()
            throw error
        }
        let service = assembly.auth
        let revocations = assembly.revocations
        let resources = Resources(
            assembly: assembly, postgres: postgres, sessionPool: sessionPool === pool ? nil : sessionPool)
        let migrator = Migrator(
            migrations: try Migrator.load(directory: settings.database.migrationsPath), logger: logger)
        if checkOnly {
            logger.notice("configuration and stacks are valid", metadata: ["stacks": "\(service.services)"])
            await resources.close()
            return
        }
        let connectionLimit = HTTPConnectionLimit(maximum: settings.http.maximumConnections)
        let deadlines = HTTPRequestDeadlines(
            head: TimeAmount(settings.http.headerTimeout), body: TimeAmount(settings.http.bodyTimeout))
        let http = Application(
            router: HTTPFrontEnd(
                service: service, admin: assembly.admin, configuration: settings.http.frontEnd,
                readiness: PostgresReadiness(pool: pool, migrator: migrator, revocations: revocations),
                metrics: registry.map(Self.exposition),
                portal: assembly.portal,
                logger: Logger(label: "authd.http")
            ).router(),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [connectionLimit.handler(), deadlines.handler()],
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
            configuration: .init(
                connectionString: settings.database.sessionURL, retention: settings.retention,
                unacknowledgedTimeout: settings.database.poolTimeout),
            state: revocations, logger: logger)

        // ServiceGroup stops services in reverse order: the front ends drain before the listener
        // and the pools close.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: resources), .init(service: listener), .init(service: http), .init(service: line),
            .init(service: PasswordHashCensus(directory: postgres.directory, logger: logger)),
            .init(service: ConnectionBudgetCheck(pool: pool, logger: logger), successTerminationBehavior: .ignore),
        ]
        if let dovecotAuth = settings.dovecotAuth {
            services.append(
                .init(
                    service: HookListener(name: "dovecot auth", configuration: dovecotAuth.listener, logger: logger) {
                        peer, id in
                        DovecotAuthConversation(
                            service: service, logger: logger, peer: peer, connectionID: id,
                            services: dovecotAuth.services)
                    }))
        }
        if let policy = settings.postfixPolicy {
            services.append(
                .init(
                    service: HookListener(name: "postfix policy", configuration: policy.listener, logger: logger) {
                        _, _ in PostfixPolicyConversation(service: service, logger: logger, stack: policy.stack)
                    }))
        }
        if let saslauthd = settings.saslauthd {
            services.append(
                .init(
                    service: HookListener(name: "saslauthd", configuration: saslauthd.listener, logger: logger) {
                        _, _ in SaslauthdConversation(service: service, logger: logger, stack: saslauthd.stack)
                    }))
        }
        if settings.database.migrateOnStart {
            // Runs beside the front ends so /readyz can say why while the database is away; done
            // when the schema is current.
            services.append(
                .init(
                    service: MigrationService(pool: sessionPool, migrator: migrator, logger: logger),
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
    let assembly: AuthAssembly
    let postgres: PostgresStores
    /// The direct connection's pool for migrations, when database.listen_url is set.
    let sessionPool: PostgresPool?

    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    func close() async {
        await assembly.close()
        await sessionPool?.close()
        await postgres.close()
    }
}
