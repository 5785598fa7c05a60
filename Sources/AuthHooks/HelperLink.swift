public import AuthLineProtocol

/// A server helper's connection to authd, kept for the helper's life. Requests go out pipelined on
/// one connection; a lost connection is made again on the next request after a backoff (doubling
/// from `initialBackoff` to `maximumBackoff`), and while authd cannot be reached every request gets
/// nil, which a helper answers with its server's "temporary failure", never with a guess.
public final class HelperLink {
    public struct Configuration: Sendable {
        /// authd's line-protocol address.
        public var address: String
        /// `CLIENT` sent first on every connection (a configured line client, for `rip=`).
        public var client: LineRequest?
        /// Longest wait for a connection, a write or the next reply.
        public var timeoutSeconds: Int
        public var initialBackoff: Duration
        public var maximumBackoff: Duration

        public init(
            address: String, client: LineRequest? = nil, timeoutSeconds: Int = 10,
            initialBackoff: Duration = .milliseconds(100), maximumBackoff: Duration = .seconds(5)
        ) {
            self.address = address
            self.client = client
            self.timeoutSeconds = timeoutSeconds
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
        }
    }

    private let configuration: Configuration
    private let log: (String) -> Void
    private var connection: LineClient?
    private var backoff: Duration
    private var retryAt: ContinuousClock.Instant?
    private var reportedDown = false

    /// `log` receives one line when authd becomes unreachable and one when it is back.
    public init(_ configuration: Configuration, log: @escaping (String) -> Void) {
        self.configuration = configuration
        self.log = log
        self.backoff = configuration.initialBackoff
    }

    /// Each request's reply, in order, or nil where authd gave none (unreachable, connection lost
    /// before that reply). The requests' IDs are replaced by the link's own.
    public func exchange(_ requests: [LineRequest]) -> [LineReply?] {
        var replies = [LineReply?](repeating: nil, count: requests.count)
        guard !requests.isEmpty, let client = connected() else { return replies }
        let numbered = requests.enumerated().map { index, request in
            LineRequest(command: request.command, id: String(index + 1), fields: request.fields)
        }
        do throws(LineClient.Unreachable) {
            try client.send(numbered)
            var missing = requests.count
            while missing > 0 {
                guard let reply = try client.readReply() else {
                    throw LineClient.Unreachable(description: "authd closed the connection")
                }
                guard reply.id != "*" else {
                    let reason = reply.attributes.first { $0.key == "reason" }?.value ?? "?"
                    throw LineClient.Unreachable(description: "authd ended the connection: \(reason)")
                }
                if let index = Int(reply.id), replies.indices.contains(index - 1), replies[index - 1] == nil {
                    replies[index - 1] = reply
                    missing -= 1
                }
            }
            connection = client
        } catch {
            failed(error.description)
        }
        return replies
    }

    /// The open connection, a new one, or nil while authd is unreachable and the backoff lasts.
    private func connected() -> LineClient? {
        if let client = connection.take(), client.isUsable() { return client }
        if let retryAt, ContinuousClock.now < retryAt { return nil }
        do throws(LineClient.Unreachable) {
            let client = try LineClient(address: configuration.address, timeoutSeconds: configuration.timeoutSeconds)
            if let request = configuration.client {
                let reply = try client.exchange(request)
                guard reply.status == .ok else {
                    let reason = reply.attributes.first { $0.key == "reason" }?.value ?? reply.status.rawValue
                    throw LineClient.Unreachable(description: "authd refused the line client: \(reason)")
                }
            }
            if reportedDown { log("authd at \(configuration.address) answers again") }
            reportedDown = false
            retryAt = nil
            backoff = configuration.initialBackoff
            return client
        } catch {
            failed(error.description)
            return nil
        }
    }

    private func failed(_ reason: String) {
        if !reportedDown { log("authd at \(configuration.address): \(reason); answering temporary failure") }
        reportedDown = true
        retryAt = ContinuousClock.now + backoff
        backoff = min(backoff * 2, configuration.maximumBackoff)
    }
}
