public import AuthCore
public import Logging

/// Why a message was not handed over, and whether trying again later can help.
public struct MailTransportError: Error, Equatable, CustomStringConvertible {
    /// True when the same message may go later: the relay was unreachable or busy (4xx), TLS or
    /// authentication failed (the operator can fix it); false when the relay refused the message
    /// itself (5xx to MAIL, RCPT or DATA) or it cannot be written.
    public var temporary: Bool
    /// The relay's reply or what went wrong; never holds a password.
    public var reason: String

    public init(temporary: Bool, _ reason: String) {
        self.temporary = temporary
        self.reason = reason
    }

    public var description: String { reason }
}

/// Hands a rendered message to a mail system: an SMTP relay (`SMTPTransport`) or a local
/// sendmail-compatible command (`SendmailTransport`).
public protocol MailTransport: Sendable {
    func send(from: String, to: String, data: [UInt8]) async throws(MailTransportError)
}

/// The outbox's handler for `.mail`: reads the message, renders it, sends it.
public struct MailDeliveryHandler: OutboxHandler {
    let transport: any MailTransport
    let logger: Logger

    public init(transport: any MailTransport, logger: Logger) {
        self.transport = transport
        self.logger = logger
    }

    public func deliver(_ item: OutboxItem) async -> OutboxOutcome {
        let message: MailMessage
        let data: [UInt8]
        do {
            message = try MailMessage(payload: item.message.payload)
            data = try MIMEWriter.render(message)
        } catch {
            return .permanent("unreadable mail in the outbox: \(error)")
        }
        do {
            try await transport.send(from: message.from.address, to: message.to.address, data: data)
            return .delivered
        } catch {
            return error.temporary ? .temporary(error.reason) : .permanent(error.reason)
        }
    }
}
