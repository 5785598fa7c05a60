import AuthCore
import AuthTestSupport
import Foundation
import Logging
import Synchronization

/// Lifecycle mail as plain JSON, so the tests can read the token or code it carries.
struct RecordingMail: AccountMail {
    func passwordReset(to user: User, token: String, lifetime: Int64) throws -> OutboxMessage {
        OutboxMessage(kind: .mail, payload: #"{"reset":"\#(token)","to":"\#(user.username)"}"#)
    }

    func passwordChanged(to user: User) throws -> OutboxMessage {
        OutboxMessage(kind: .mail, payload: #"{"changed":"\#(user.username)"}"#)
    }

    func emailVerification(to user: User, token: String, code: String, lifetime: Int64) throws -> OutboxMessage {
        OutboxMessage(
            kind: .mail,
            payload: #"{"verify":"\#(token)","code":"\#(code)","to":"\#(user.username)","address":"\#(user.email)"}"#)
    }

    func invitation(to email: String, token: String, lifetime: Int64) throws -> OutboxMessage {
        OutboxMessage(kind: .mail, payload: #"{"invite":"\#(token)","address":"\#(email)"}"#)
    }

    func emailChanged(to previous: String, user: User) throws -> OutboxMessage {
        OutboxMessage(kind: .mail, payload: #"{"moved":"\#(user.username)","address":"\#(previous)"}"#)
    }

    func signIn(to user: User, token: String, code: String, lifetime: Int64, continuation: String?) throws
        -> OutboxMessage
    {
        OutboxMessage(
            kind: .mail,
            payload:
                #"{"signin":"\#(token)","code":"\#(code)","to":"\#(user.username)","then":"\#(continuation ?? "")"}"#)
    }
}

/// Takes the mail handed to it.
final class Mailbox: OutboxHandler {
    let messages = Mutex<[[String: String]]>([])

    func deliver(_ item: OutboxItem) async -> OutboxOutcome {
        let object = try? JSONSerialization.jsonObject(with: Data(item.message.payload.utf8)) as? [String: String]
        messages.withLock { $0.append(object ?? [:]) }
        return .delivered
    }

    var all: [[String: String]] { messages.withLock { $0 } }
}

/// Resolves the queued lifecycle requests, then delivers the mail they made to `mailbox`.
func deliverMail(_ stack: TestStack, to mailbox: Mailbox) async throws {
    var handlers: [OutboxMessage.Kind: any OutboxHandler] = [.mail: mailbox]
    handlers[.passwordResetRequest] = stack.assembly.passwordReset?.requests
    handlers[.emailVerificationRequest] = stack.assembly.emailVerification?.requests
    handlers[.signInRequest] = stack.assembly.signInByMail?.requests
    let delivery = OutboxDelivery(
        store: stack.stores.outbox, handlers: handlers, configuration: .init(batchSize: 50),
        logger: Logger(label: "test"))
    while try await !delivery.deliverDue().isEmpty {}
}
