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
        let times = try Settings.accessTokenTimes(reader)
        let postgres = PostgresStores(
            pool: .init(connectionString: database.url, maxConnections: connections),
            retention: RetentionPolicy(accessTokenLifetime: times.lifetime, leeway: times.leeway), logger: logger)
        let (admin, hashing) = try AuthAssembly.administration(
            stores: postgres.stores, passwords: passwords.assembly,
            configuration: .init(
                passwordPolicy: passwords.policy, scopes: scopes,
                idTokenAlgorithms: keys ? try Settings.keyring(reader).idTokenAlgorithms : [.rs256]),
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
        case .unavailable, .busy, .mfaUnavailable, .rateLimited: 2
        case .usernameTaken, .emailTaken, .invalidCredentials, .accountDenied, .unknownService, .invalidToken,
            .tokenExpired, .tokenRevoked, .invalidRefreshToken, .wrongPassword, .conflict, .invalidMFAToken,
            .invalidCode, .mfaAlreadyEnabled, .mfaNotEnabled, .mfaNotPending, .forbidden, .notFound, .roleExists,
            .roleInUse, .builtinRole, .lastAdmin, .unknownRole, .clientExists, .invalidClient, .invalidGrant,
            .invalidScope, .unauthorizedClient, .unsupportedGrantType, .internal:
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
                ["ID", "USERNAME", "EMAIL", "ROLES", "DISABLED", "MFA", "HASH"],
                users.map { user in
                    [
                        String(user.id), user.username, user.email, user.roles.joined(separator: ","),
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

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage accounts directly in the database.",
        subcommands: [
            Create.self, List.self, Show.self, SetRole.self, Disable.self, Enable.self, Delete.self, Revoke.self,
            Unlock.self, MFAReset.self, Import.self,
        ])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account. The password is read from standard input, or prompted for without echo.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String
        @Option(name: .long, help: "The e-mail address.") var email: String
        @Option(name: .long, help: "A role to grant (repeatable; default: user).") var role: [String] = []

        func run() async throws {
            let password = try readNewPassword()
            try await options.withAdmin { admin, actor in
                let user = try await admin.createUser(
                    username: name, email: email, password: password, roles: role.isEmpty ? [Role.user] : role,
                    by: actor)
                try options.print(users: [user])
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts in id order.")
        @OptionGroup var options: DatabaseOptions
        @Option(name: .long, help: "Only holders of this role.") var role: String?
        @Option(name: .long, help: "Only disabled (true) or enabled (false) accounts.") var disabled: Bool?
        @Option(name: .long, help: "Only usernames starting with this (case-insensitive).") var prefix: String?
        @Option(
            name: .long,
            help: """
                Only hashes in this scheme (\(ImportedHash.names.joined(separator: ", "))), or 'imported' for \
                every one a first login has yet to replace; the count goes to standard error.
                """)
        var hashScheme: String?

        func run() async throws {
            try await options.withAdmin { admin, actor in
                let filter = UserFilter(role: role, disabled: disabled, usernamePrefix: prefix, hashScheme: hashScheme)
                var users: [User] = []
                var cursor: String?
                repeat {
                    let page = try await admin.users(matching: filter, cursor: cursor, limit: 200, by: actor)
                    users += page.items
                    cursor = page.nextCursor
                } while cursor != nil
                try options.print(users: users)
                if let hashScheme {
                    ClientExit.printError("\(users.count) accounts with \(hashScheme) hashes")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one account.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try options.print(users: [try await admin.user(named: name, by: actor)])
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-role", abstract: "Replace an account's roles; its existing tokens stop working.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String
        @Argument(help: "The roles the account holds from now on.") var roles: [String]

        func run() async throws {
            try await options.withAdmin { admin, actor in
                let user = try await admin.user(named: name, by: actor)
                try options.print(users: [try await admin.update(userID: user.id, .init(roles: roles), by: actor)])
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an account: no logins, and its existing tokens stop working.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String

        func run() async throws { try await setDisabled(true, name, options) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String

        func run() async throws { try await setDisabled(false, name, options) }
    }

    static func setDisabled(_ disabled: Bool, _ name: String, _ options: DatabaseOptions) async throws {
        try await options.withAdmin { admin, actor in
            let user = try await admin.user(named: name, by: actor)
            try options.print(users: [try await admin.update(userID: user.id, .init(disabled: disabled), by: actor)])
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an account and its role grants.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try await admin.delete(userID: try await admin.user(named: name, by: actor).id, by: actor)
                print("deleted \(name)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make every token issued to the account so far invalid.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try await admin.revokeTokens(userID: try await admin.user(named: name, by: actor).id, by: actor)
                print("revoked the tokens of \(name)")
            }
        }
    }

    struct MFAReset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mfa-reset",
            abstract: "Remove an account's TOTP enrolment and recovery codes (a lost phone); audited.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try await admin.resetMFA(userID: try await admin.user(named: name, by: actor).id, by: actor)
                print("reset MFA of \(name): the password alone logs in until it enrols again")
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear an account's lockout counters on every instance (all client addresses); audited.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try await admin.unlock(username: name, by: actor)
                print("unlocked \(name)")
            }
        }
    }
}

struct RoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role", abstract: "Manage roles and their permissions directly in the database.",
        subcommands: [List.self, Create.self, Delete.self, Grant.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List roles with their permissions.")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await options.withAdmin { admin, actor in try options.print(roles: try await admin.roles(by: actor)) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a role.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The role name.") var name: String
        @Option(name: .long, help: "What the role is for.") var description = ""
        @Option(name: .long, help: "A permission to grant (repeatable), e.g. users:read.") var permission: [String] = []

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try options.print(
                    roles: [
                        try await admin.createRole(
                            name: name, description: description, permissions: permission, by: actor)
                    ])
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a role nobody holds.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The role name.") var name: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try await admin.deleteRole(named: name, by: actor)
                print("deleted role \(name)")
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant a permission to a role.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The role name.") var role: String
        @Argument(help: "The permission, e.g. users:read.") var permission: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try options.print(roles: [try await admin.grant(permission, to: role, by: actor)])
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a permission away from a role.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The role name.") var role: String
        @Argument(help: "The permission.") var permission: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try options.print(roles: [try await admin.revoke(permission, from: role, by: actor)])
            }
        }
    }
}

/// A new password: prompted twice without echo on a terminal, else the first line of standard input.
func readNewPassword() throws -> String {
    guard isatty(STDIN_FILENO) == 1 else {
        guard let password = String(validating: readPassword(), as: UTF8.self), !password.isEmpty else {
            ClientExit.printError("authctl: no password on standard input")
            throw ExitCode(3)
        }
        return password
    }
    let first = try promptWithoutEcho("Password: ")
    guard try promptWithoutEcho("Again: ") == first else {
        ClientExit.printError("authctl: the passwords differ")
        throw ExitCode(3)
    }
    return first
}

private func promptWithoutEcho(_ prompt: String) throws -> String {
    FileHandle.standardError.write(Data(prompt.utf8))
    var saved = termios()
    guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw ExitCode(3) }
    var silent = saved
    silent.c_lflag &= ~tcflag_t(ECHO)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
    defer {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
        FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine(strippingNewline: true) ?? ""
}
