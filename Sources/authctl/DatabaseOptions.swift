import ArgumentParser
import AuthConfig
import AuthCore
import AuthCrypto
import AuthHTTP
import AuthPostgres
import Foundation
import Logging

/// Options of the commands that work on the database directly: for bootstrap and recovery, when
/// no admin token exists yet. They go through the same use cases as the admin API, so they are
/// audited (actor `authctl:<login>`, source `local`) and keep the last admin.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Path to the YAML configuration file.")
    var config: String?

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    /// Runs `body` with the admin use cases on a pool of `connections` (one unless an import writes
    /// batches side by side); AuthError becomes a message and an exit status: 3 for bad input, 2
    /// when the database is away, 1 for any other refusal. `keys`: read the JWT keys too, to know
    /// which ID-token algorithms clients may have (only RS256 without them).
    func withAdmin(connections: Int = 1, keys: Bool = false, _ body: (AdminService, Actor) async throws -> Void)
        async throws
    {
        let reader = try await Settings.reader(configFile: config)
        let database = try Settings.Database(reader)
        let passwords = try Settings.Passwords(reader)
        let scopes = try Settings.oauthScopes(reader)
        let logger = Logger(label: "authctl")
        let mail = try Settings.mail(reader)
        let times = try Settings.accessTokenTimes(reader)
        let postgres = PostgresStores(
            pool: .init(connectionString: database.url, maxConnections: connections),
            retention: RetentionPolicy(accessTokenLifetime: times.lifetime, leeway: times.leeway), logger: logger)
        let (admin, hashing) = try AuthAssembly.administration(
            stores: postgres.stores, passwords: passwords.assembly,
            configuration: .init(
                passwordPolicy: passwords.policy, scopes: scopes,
                idTokenAlgorithms: keys ? try Settings.keyring(reader).idTokenAlgorithms : [.rs256],
                verifyEmail: Settings.verifiesEmail(reader),
                mail: try mail?.accountMail(issuer: Settings.oauthIssuer(reader)),
                invitationLifetime: mail?.invitationLifetime ?? 72 * 3600),
            logger: logger)
        var failure: (any Error)?
        do {
            try await body(admin, Self.actor)
        } catch {
            failure = error
        }
        await hashing.shutdown()
        await postgres.close()
        guard let failure else { return }
        guard let error = failure as? AuthError else { throw failure }
        ClientExit.printError("authctl: \(error.message) (\(error.code))")
        throw ExitCode(Self.exitStatus(error.code))
    }

    /// 3 bad input, 2 try again later, 1 refused (a role or user that does not exist is refused, not bad
    /// input: the README's table and scripts/interop/admin.sh pin it), or a bug, which is logged.
    static func exitStatus(_ code: AuthError.Code) -> Int32 {
        switch code {
        case .invalidInput, .weakPassword, .invalidClientMetadata: 3
        case .unavailable, .busy, .mfaUnavailable, .mailUnavailable, .rateLimited: 2
        case .usernameTaken, .emailTaken, .invalidCredentials, .accountDenied, .unknownService, .invalidToken,
            .tokenExpired, .tokenRevoked, .invalidRefreshToken, .wrongPassword, .conflict, .invalidMFAToken,
            .invalidCode, .mfaAlreadyEnabled, .mfaNotEnabled, .mfaNotPending, .forbidden, .notFound, .roleExists,
            .roleInUse, .builtinRole, .lastAdmin, .unknownRole, .clientExists, .invalidClient, .invalidGrant,
            .invalidScope, .unauthorizedClient, .unsupportedGrantType, .authorizationPending, .slowDown, .accessDenied,
            .expiredToken, .invalidResetToken, .invalidVerificationToken, .invalidInvitation, .emailUnverified,
            .invalidDPoPProof, .useDPoPNonce, .invalidPasskey, .internal:
            1
        }
    }

    /// The operator, as far as the process can tell: sudo's caller, else the login name.
    static var actor: Actor {
        let environment = ProcessInfo.processInfo.environment
        let login = environment["SUDO_USER"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "uid\(getuid())"
        return Actor.localOperator(login)
    }

    func print(users: [User]) throws {
        if json {
            try printJSON(users.map(AdminUserResponse.init))
        } else {
            printTable(
                ["ID", "USERNAME", "EMAIL", "VERIFIED", "ROLES", "DISABLED", "MFA", "HASH"],
                users.map { user in
                    [
                        String(user.id), user.username, user.email, user.emailVerified ? "yes" : "no",
                        user.roles.joined(separator: ","),
                        user.disabled ? "yes" : "no", user.mfaEnabled ? "yes" : "no", user.passwordScheme,
                    ]
                })
        }
    }

    func print(roles: [RoleInfo]) throws {
        if json {
            try printJSON(roles.map(RoleResponse.init))
        } else {
            printTable(
                ["NAME", "BUILTIN", "PERMISSIONS", "DESCRIPTION"],
                roles.map {
                    [$0.name, $0.builtin ? "yes" : "no", $0.permissions.joined(separator: ","), $0.description]
                })
        }
    }

    func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Left-aligned columns, two spaces apart.
    func printTable(_ header: [String], _ rows: [[String]]) {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            Swift.print(cells.joined(separator: "  "))
        }
    }
}
