import ArgumentParser
import AuthConfig
import AuthCore
import AuthCrypto
import AuthHTTP
import AuthPostgres
import Foundation
import Logging

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage accounts directly in the database.",
        subcommands: [
            Create.self, Invite.self, List.self, Show.self, SetRole.self, SetEmail.self, VerifyEmail.self, Disable.self,
            Enable.self, Delete.self, Revoke.self, Unlock.self, MFAReset.self, Import.self,
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

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Invite an address: a link to choose a username and password is queued for it (a running "
                + "authd sends it; mail must be on). Audited.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The e-mail address.") var email: String
        @Option(name: .long, help: "A role the account gets (repeatable; default: user).") var role: [String] = []

        func run() async throws {
            try await options.withAdmin { admin, actor in
                let expiresAt = try await admin.invite(
                    email: email, roles: role.isEmpty ? [Role.user] : role, by: actor)
                Swift.print(
                    "invitation queued for \(email), valid until \(Date(timeIntervalSince1970: Double(expiresAt)))")
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

    struct SetEmail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-email",
            abstract: "Change an account's e-mail address (audited). It is unverified until its owner proves it "
                + "(with mail on, a link and a code go to it, and a notice to the old one), unless --verified.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String
        @Argument(help: "The new address.") var email: String
        @Flag(help: "Vouch for the new address: no verification mail.") var verified = false

        func run() async throws {
            try await change(name, UserChange(email: email, emailVerified: verified ? true : nil), options)
        }
    }

    struct VerifyEmail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-email", abstract: "Mark an account's e-mail address as verified (audited).")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The username.") var name: String

        func run() async throws { try await change(name, UserChange(emailVerified: true), options) }
    }

    static func change(_ name: String, _ change: UserChange, _ options: DatabaseOptions) async throws {
        try await options.withAdmin { admin, actor in
            let user = try await admin.user(named: name, by: actor)
            try options.print(users: [try await admin.update(userID: user.id, change, by: actor)])
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
        try await change(name, UserChange(disabled: disabled), options)
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
