import ArgumentParser
import AuthConfig
import AuthCore
import AuthMail
import AuthPostgres
import Logging

struct MailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail", abstract: "Check how authd sends mail (mail.transport) and what waits in the outbox.",
        subcommands: [Test.self, Status.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a test message to ADDRESS: through the outbox (a running authd delivers it), or at once.",
            discussion: """
                Without --direct the message is queued in the outbox and delivered by whichever authd \
                instance claims it, as account mail is. With --direct it is sent from here through \
                mail.transport, and the relay's refusal (if any) is printed: exit 0 sent, 2 a temporary \
                failure, 1 a permanent one.
                """)
        @OptionGroup var options: DatabaseOptions
        @Argument(help: "Where to send the test message.") var address: String
        @Flag(name: .long, help: "Send it now from here instead of queueing it.") var direct = false

        func run() async throws {
            let reader = try await Settings.reader(configFile: options.config)
            guard let mail = try Settings.mail(reader) else {
                ClientExit.printError("authctl: mail.transport is none: authd sends no mail")
                throw ExitCode(1)
            }
            guard MailAddress.isValid(address) else {
                ClientExit.printError("authctl: not an e-mail address authd sends to")
                throw ExitCode(3)
            }
            let message = try mail.templates.message(
                .test, values: [:], from: mail.from, to: .init(address), date: UnixTime.now())
            if direct {
                let data = try MIMEWriter.render(message)
                do {
                    try await mail.transport.send(from: mail.from.address, to: address, data: data)
                    print("sent to \(address)")
                } catch {
                    ClientExit.printError("authctl: not sent: \(error.reason)")
                    throw ExitCode(error.temporary ? 2 : 1)
                }
                return
            }
            try await Self.withOutbox(try Settings.Database(reader)) { outbox in
                try await outbox.enqueue([try message.outboxMessage()])
            }
            print("queued for \(address) (Message-ID <\(message.messageID)>); a running authd delivers it")
        }

        static func withOutbox(_ database: Settings.Database, _ body: (PostgresOutboxStore) async throws -> Void)
            async throws
        {
            let pool = PostgresPool(
                configuration: .init(connectionString: database.url, maxConnections: 1),
                logger: Logger(label: "authctl"))
            do {
                try await body(PostgresOutboxStore(pool: pool))
            } catch {
                await pool.close()
                throw error
            }
            await pool.close()
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How many messages wait in the outbox, and how many were given up.")
        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let reader = try await Settings.reader(configFile: options.config)
            try await Test.withOutbox(try Settings.Database(reader)) { outbox in
                let depth = try await outbox.depth()
                if options.json {
                    print(#"{"failed":\#(depth.failed),"queued":\#(depth.queued)}"#)
                } else {
                    print("queued \(depth.queued)\nfailed \(depth.failed)")
                }
            }
        }
    }
}
