import ArgumentParser
import AuthCore
import AuthCrypto
import AuthHTTP

/// `authctl client …`: OAuth 2 clients, directly in the database, through the admin use cases
/// (audited as the operator). A secret is printed once, by `create` and `rotate-secret`.
struct OAuthClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Manage OAuth 2 clients directly in the database.",
        subcommands: [
            Create.self, List.self, Show.self, Disable.self, Enable.self, Delete.self, RotateSecret.self,
            RegistrationToken.self,
        ])

    struct RegistrationToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "registration-token",
            abstract: "Make an initial access token for dynamic client registration (POST /oauth2/register).")
        @OptionGroup var options: DatabaseOptions
        @Option(name: .long, help: "Hours it lives (1 to 720).") var hours: Int64 = 24
        @Option(name: .long, help: "Registrations it allows (default: any number until it expires).") var uses: Int?

        func run() async throws {
            try await options.withAdmin { admin, actor in
                let token = try await admin.createRegistrationToken(lifetime: hours * 3600, uses: uses, by: actor)
                print("initial_access_token=\(token)")
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a client. A confidential client's secret is printed this once.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The client id (1-64 of a-z, 0-9, '_', '.', '-', starting with a letter).") var id: String
        @Option(name: .long, help: "A display name (default: the id).") var name: String?
        @Flag(name: .long, help: "A public client (no secret; browser or native apps).") var `public` = false
        @Option(name: .long, help: "A grant type (repeatable; default: client_credentials).") var grant: [String] = []
        @Option(name: .long, help: "A scope it may ask for, one of oauth.scopes (repeatable).") var scope: [String] = []
        @Option(name: .long, help: "A redirect URI (repeatable).") var redirectURI: [String] = []
        @Option(name: .long, help: "A role its own tokens carry (repeatable).") var role: [String] = []
        @Option(name: .long, help: "Seconds its tokens live (default: access_token_ttl).") var tokenLifetime: Int64?
        @Option(
            name: .long,
            help: "Its ID tokens' algorithm: RS256 (default) or jwt.signing_key_file's (ES256, EdDSA).")
        var idTokenAlg = "RS256"
        @Flag(name: .long, help: "A first-party application: its users are not asked to consent.")
        var skipConsent = false
        @Flag(name: .long, help: "A resource server: it may introspect tokens issued to other clients.")
        var introspection = false
        @Flag(name: .long, help: "A confidential client whose code flow may go without PKCE.")
        var noPkce = false
        @Flag(name: .long, help: "Its authorization requests must be pushed to /oauth2/par first (RFC 9126).")
        var requirePar = false
        @Flag(name: .long, help: "Its token requests must carry a DPoP proof (RFC 9449 dpop_bound_access_tokens).")
        var requireDpop = false
        @Option(name: .long, help: "Where authd POSTs logout tokens (OpenID Connect Back-Channel Logout).")
        var backchannelLogoutURI: String?
        @Option(name: .long, help: "What the signed-out page loads in an iframe (Front-Channel Logout).")
        var frontchannelLogoutURI: String?

        func run() async throws {
            let type: ClientType = `public` ? .public : .confidential
            var new = NewClient(
                id: id, name: name, type: type, scopes: scope, redirectURIs: redirectURI, roles: role,
                tokenLifetime: tokenLifetime, skipConsent: skipConsent, mayIntrospect: introspection,
                requiresPKCE: !noPkce, requiresPAR: requirePar, requiresDPoP: requireDpop,
                logout: LogoutChannels(backChannel: backchannelLogoutURI, frontChannel: frontchannelLogoutURI))
            guard let algorithm = JWSAlgorithm(rawValue: idTokenAlg), algorithm != .hs256 else {
                throw ValidationError("--id-token-alg is RS256, ES256 or EdDSA")
            }
            new.idTokenAlgorithm = algorithm
            if !grant.isEmpty {
                new.grantTypes = try grant.map { name in
                    guard let grant = GrantType(rawValue: name) else {
                        throw ValidationError(
                            "--grant is one of \(GrantType.allCases.map(\.rawValue).sorted().joined(separator: ", "))")
                    }
                    return grant
                }
            } else if type == .public {
                new.grantTypes = [.authorizationCode]
            }
            try await options.withAdmin(keys: algorithm != .rs256) { admin, actor in
                let registered = try await admin.createClient(new, by: actor)
                if options.json {
                    try options.printJSON(ClientResponse(registered.client, secret: registered.secret))
                } else {
                    try options.print(clients: [registered.client])
                    if let secret = registered.secret { print("client_secret=\(secret)") }
                }
                if registered.secret != nil {
                    printError("authctl: the secret is shown this once; keep it where the client reads it")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients in id order.")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            try await options.withAdmin { admin, actor in try options.print(clients: try await admin.clients(by: actor))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one client.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The client id.") var id: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try options.print(clients: [try await admin.client(id: id, by: actor)])
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a client: no new tokens, and the ones it has stop working on every instance.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The client id.") var id: String

        func run() async throws { try await setDisabled(true, id, options) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled client.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The client id.") var id: String

        func run() async throws { try await setDisabled(false, id, options) }
    }

    static func setDisabled(_ disabled: Bool, _ id: String, _ options: DatabaseOptions) async throws {
        try await options.withAdmin { admin, actor in
            try options.print(clients: [try await admin.updateClient(id: id, .init(disabled: disabled), by: actor)])
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a client; its tokens stop working on every instance.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The client id.") var id: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                try await admin.deleteClient(id: id, by: actor)
                print("deleted \(id)")
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Give a confidential client a new secret (printed this once); the old one and the "
                + "tokens it got stop working at once.")
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "The client id.") var id: String

        func run() async throws {
            try await options.withAdmin { admin, actor in
                let secret = try await admin.rotateSecret(clientID: id, by: actor)
                print("client_secret=\(secret)")
            }
        }
    }

    static func printError(_ text: String) { ClientExit.printError(text) }
}

extension DatabaseOptions {
    func print(clients: [OAuthClient]) throws {
        if json {
            try printJSON(clients.map { ClientResponse($0) })
        } else {
            printTable(
                ["ID", "TYPE", "GRANTS", "SCOPES", "ROLES", "CONSENT", "INTROSPECT", "PKCE", "DISABLED", "NAME"],
                clients.map { client in
                    [
                        client.id, client.type.rawValue, client.grantTypes.map(\.rawValue).joined(separator: ","),
                        client.scopes.joined(separator: ","), client.roles.joined(separator: ","),
                        client.skipConsent ? "skip" : "ask", client.mayIntrospect ? "yes" : "no",
                        client.requiresPKCE ? "required" : "optional", client.disabled ? "yes" : "no", client.name,
                    ]
                })
        }
    }
}
