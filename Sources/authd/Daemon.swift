import AuthConfig
import AuthCore
import AuthCrypto
import AuthHTTP
import AuthHookServers
import AuthLDAP
import AuthLineProtocol
import AuthMail
import AuthOutbound
import AuthPostgres
import AuthRADIUS
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

    /// Load settings (done by the caller), assemble, serve.
    func run() async throws {
        // Before anything creates a counter: those made earlier would stay with the no-op backend.
        let registry = settings.metricsEnabled ? Telemetry.bootstrapPrometheus() : nil
        let resources = try await assemble()
        if checkOnly {
            logger.notice(
                "configuration and stacks are valid", metadata: ["stacks": "\(resources.assembly.auth.services)"])
            await resources.close()
            return
        }
        try await serve(resources, registry: registry)
    }

    /// The stores on PostgreSQL and the use cases over them (`AuthAssembly`).
    private func assemble() async throws -> Resources {
        let postgres = PostgresStores(
            pool: .init(
                connectionString: settings.database.url, maxConnections: settings.database.maxConnections,
                acquireTimeout: settings.database.poolTimeout),
            retention: settings.retention, logger: logger)
        // Migrations hold a session-level advisory lock: behind a transaction-mode pooler they
        // need database.listen_url's direct connection.
        let sessionPool = settings.database.listenURL.map { _ in
            PostgresPool(
                configuration: .init(connectionString: settings.database.sessionURL, maxConnections: 1), logger: logger)
        }
        do {
            let assembly = try await AuthAssembly(
                stores: postgres.stores, configuration: try settings.assembly(), logger: logger)
            return Resources(
                assembly: assembly, postgres: postgres, sessionPool: sessionPool,
                migrator: Migrator(
                    migrations: try Migrator.load(directory: settings.database.migrationsPath), logger: logger))
        } catch {
            await sessionPool?.close()
            await postgres.close()
            throw error
        }
    }

    /// Every front end and background service in one ServiceGroup, with graceful shutdown.
    private func serve(_ resources: Resources, registry: PrometheusCollectorRegistry?) async throws {
        // New outbox messages ring it through the listener's connection.
        let outboxDoorbell = Doorbell()
        let listener = PostgresRevocationListener(
            configuration: .init(
                connectionString: settings.database.sessionURL, retention: settings.retention,
                unacknowledgedTimeout: settings.database.poolTimeout),
            state: resources.assembly.revocations, outbox: outboxDoorbell, logger: logger)
        let line = LineServer(
            configuration: settings.line,
            commands: LineCommands(service: resources.assembly.auth, logger: logger, clients: settings.line.clients),
            logger: logger)
        // ServiceGroup stops services in reverse order: the front ends drain before the listener
        // and the pools close.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: resources), .init(service: listener),
            .init(service: httpApplication(resources, registry: registry)), .init(service: line),
            .init(service: PasswordHashCensus(directory: resources.postgres.directory, logger: logger)),
            .init(
                service: ConnectionBudgetCheck(pool: resources.postgres.pool, logger: logger),
                successTerminationBehavior: .ignore),
        ]
        services += hookListeners(resources.assembly.auth).map { .init(service: $0) }
        var handlers: [OutboxMessage.Kind: any OutboxHandler] = [
            .backChannelLogout: BackChannelLogoutDelivery(
                oauth: resources.assembly.auth.oauth, transport: LogoutTokenPoster(), logger: logger)
        ]
        if let mail = settings.mail {
            handlers[.mail] = MailDeliveryHandler(transport: mail.transport, logger: logger)
            handlers[.passwordResetRequest] = resources.assembly.passwordReset?.requests
            handlers[.emailVerificationRequest] = resources.assembly.emailVerification?.requests
            handlers[.signInRequest] = resources.assembly.signInByMail?.requests
        }
        let delivery = OutboxDelivery(
            store: resources.postgres.outbox, handlers: handlers, configuration: settings.outboxDelivery,
            doorbell: outboxDoorbell, logger: logger)
        services.append(.init(service: OutboxService(delivery: delivery)))
        services.append(.init(service: LapsedSessionSweep(portal: resources.assembly.portal, logger: logger)))
        if let radius = settings.radius {
            let responder = RadiusResponder(
                service: resources.assembly.auth, configuration: radius.responder, logger: logger)
            services.append(
                .init(service: RadiusServer(configuration: radius.server, responder: responder, logger: logger)))
            if let radsec = radius.radsec {
                services.append(
                    .init(service: RadSecServer(configuration: radsec, responder: responder, logger: logger)))
            }
        }
        if let ldap = settings.ldap {
            let directory = DirectoryService(assembly: resources.assembly, policy: ldap.policy)
            services.append(
                .init(
                    service: LDAPServer(
                        configuration: ldap.server,
                        responder: LDAPResponder(
                            auth: resources.assembly.auth, directory: directory, configuration: ldap.responder,
                            logger: logger),
                        logger: logger)))
        }
        if settings.database.migrateOnStart {
            // Runs beside the front ends so /readyz can say why while the database is away; done
            // when the schema is current.
            services.append(
                .init(
                    service: MigrationService(
                        pool: resources.migrationPool, migrator: resources.migrator, logger: logger),
                    successTerminationBehavior: .ignore))
        }
        var group = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Past the deadline (plus a second for the pools to close) whatever still runs is cancelled.
        group.maximumGracefulShutdownDuration = settings.shutdownDeadline + .seconds(1)
        group.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: group).run()
    }

    /// The HTTP API, the portal and the metrics, with the connection limit and slow-client deadlines.
    private func httpApplication(_ resources: Resources, registry: PrometheusCollectorRegistry?) -> some Service {
        let connectionLimit = HTTPConnectionLimit(maximum: settings.http.maximumConnections)
        let deadlines = HTTPRequestDeadlines(
            head: TimeAmount(settings.http.headerTimeout), body: TimeAmount(settings.http.bodyTimeout))
        let logger = self.logger
        return Application(
            router: HTTPFrontEnd(
                service: resources.assembly.auth, admin: resources.assembly.admin,
                configuration: settings.http.frontEnd,
                readiness: PostgresReadiness(
                    pool: resources.postgres.pool, migrator: resources.migrator,
                    revocations: resources.assembly.revocations),
                metrics: registry.map(Self.exposition), portal: resources.assembly.portal,
                passwordReset: resources.assembly.passwordReset,
                emailVerification: resources.assembly.emailVerification,
                signInByMail: resources.assembly.signInByMail, proofs: resources.assembly.proofs,
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
    }

    /// The server hooks' listeners that are configured: Dovecot's auth protocol, Postfix policy
    /// delegation, saslauthd.
    private func hookListeners(_ service: AuthService) -> [HookListener] {
        let logger = self.logger
        var listeners: [HookListener] = []
        if let dovecotAuth = settings.dovecotAuth {
            listeners.append(
                HookListener(name: "dovecot auth", configuration: dovecotAuth.listener, logger: logger) { peer, id in
                    DovecotAuthConversation(
                        service: service, logger: logger, peer: peer, connectionID: id, services: dovecotAuth.services)
                })
        }
        if let policy = settings.postfixPolicy {
            listeners.append(
                HookListener(name: "postfix policy", configuration: policy.listener, logger: logger) { _, _ in
                    PostfixPolicyConversation(service: service, logger: logger, stack: policy.stack)
                })
        }
        if let saslauthd = settings.saslauthd {
            listeners.append(
                HookListener(name: "saslauthd", configuration: saslauthd.listener, logger: logger) { _, _ in
                    SaslauthdConversation(service: service, logger: logger, stack: saslauthd.stack)
                })
        }
        return listeners
    }
}

extension Daemon {
    static func exposition(_ registry: PrometheusCollectorRegistry) -> HTTPFrontEnd.MetricsExposition {
        { registry.emitToBuffer() }
    }
}

/// The outbox's delivery, until graceful shutdown: a message being sent then is left to its claim's
/// lease, and the next instance (or this one, restarted) sends it.
struct OutboxService: Service {
    let delivery: OutboxDelivery

    func run() async throws {
        await cancelWhenGracefulShutdown { await delivery.run() }
    }
}

/// Ends the SSO sessions that lapsed unused, once a minute on every instance, so that their
/// clients hear of it (back-channel logout) without waiting for the browser to come back.
struct LapsedSessionSweep: Service {
    let portal: PortalService
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await portal.endLapsedSessions()
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("lapsed SSO sessions: sweep failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// Owns the thread pools and connections; closes them once everything that uses them has stopped.
struct Resources: Service {
    let assembly: AuthAssembly
    let postgres: PostgresStores
    /// The direct connection's pool for migrations, when database.listen_url is set.
    let sessionPool: PostgresPool?
    let migrator: Migrator

    /// Where migrations run: the direct connection when there is one.
    var migrationPool: PostgresPool { sessionPool ?? postgres.pool }

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
