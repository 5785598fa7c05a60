import ArgumentParser
import AuthConfig
import AuthCore
import AuthCrypto
import AuthHTTP
import AuthPostgres
import Foundation
import Logging

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
