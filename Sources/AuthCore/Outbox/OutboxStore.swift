/// Outgoing work (mail now; back-channel logout tokens and webhooks later), kept in the database
/// beside the change that caused it, so a request never sends anything itself and an instance
/// that dies loses nothing: `OutboxDelivery` on any instance claims what is due and delivers it.
public struct OutboxMessage: Sendable, Hashable {
    /// What delivers it; `OutboxDelivery` has one handler per kind.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A `MailMessage`, as JSON.
        public static let mail = Kind(rawValue: "mail")
        /// `POST /password/forgot`'s request, resolved and answered by `PasswordResetRequests`.
        public static let passwordResetRequest = Kind(rawValue: "password-reset-request")
        /// An address to verify (a registration, an e-mail change), resolved and answered by
        /// `EmailVerificationRequests`.
        public static let emailVerificationRequest = Kind(rawValue: "email-verification-request")
        /// A request for a sign-in link and code, resolved and answered by `SignInRequests`.
        public static let signInRequest = Kind(rawValue: "sign-in-request")
    }

    public var kind: Kind
    /// What the handler needs, as the producer encoded it (JSON, so an operator can read the table).
    public var payload: String

    public init(kind: Kind, payload: String) {
        self.kind = kind
        self.payload = payload
    }
}

/// A message claimed for delivery.
public struct OutboxItem: Sendable, Equatable {
    public var id: Int64
    public var message: OutboxMessage
    /// Claims so far, this one included; it also names the claim, so a claim whose lease ended
    /// and was taken over can no longer settle the message.
    public var attempts: Int
    /// Unix milliseconds on the store's clock: when the message was added, and when it was claimed.
    public var createdAt: Int64
    public var claimedAt: Int64

    public init(id: Int64, message: OutboxMessage, attempts: Int, createdAt: Int64, claimedAt: Int64) {
        self.id = id
        self.message = message
        self.attempts = attempts
        self.createdAt = createdAt
        self.claimedAt = claimedAt
    }
}

/// How much is waiting, for the `authd_outbox_*` gauges.
public struct OutboxDepth: Sendable, Equatable {
    /// Not yet delivered and not given up: due now, waiting for a retry, or being delivered.
    public var queued: Int
    /// Given up, kept for an operator to read until retention removes them.
    public var failed: Int

    public init(queued: Int, failed: Int) {
        self.queued = queued
        self.failed = failed
    }
}

/// The outbox table. The use cases add their messages inside the transaction of the change that
/// causes them (each store method that does takes them as an argument); `enqueue` is for work
/// that stands alone.
public protocol OutboxStore: Sendable {
    func enqueue(_ messages: [OutboxMessage]) async throws
    /// Claims up to `limit` messages that are due and not held by another claim, oldest first, each
    /// for `lease` milliseconds, and counts an attempt on each. A claim that is neither settled nor
    /// renewed before its lease ends is due again: an instance that died mid-delivery hands its
    /// messages to the next claim, which is why delivery is at least once. Concurrent claims on
    /// any number of instances never return the same message while a lease holds.
    func claim(limit: Int, lease: Int64) async throws -> [OutboxItem]
    /// Delivered: the message is removed. Only the latest claim (`attempts`) can settle a message;
    /// false when its lease ended and another claim took it.
    @discardableResult
    func delivered(_ item: OutboxItem) async throws -> Bool
    /// Due again `after` milliseconds from now, with the reason kept for an operator.
    @discardableResult
    func deferred(_ item: OutboxItem, after: Int64, reason: String) async throws -> Bool
    /// Given up: kept with its reason, never claimed again.
    @discardableResult
    func failed(_ item: OutboxItem, reason: String) async throws -> Bool
    func depth() async throws -> OutboxDepth
}
