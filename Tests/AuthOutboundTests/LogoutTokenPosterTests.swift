import AuthCore
import AuthOutbound
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The back-channel logout POST against a local relying party on a free port: what it sends, and
/// how each answer settles the outbox message.
@Suite("back-channel logout: the POST to the client")
struct LogoutTokenPosterTests {
    /// Each request's content type and body, in order.
    final class Received: Sendable {
        let bodies = Mutex<[String]>([])
        func append(_ body: String) { bodies.withLock { $0.append(body) } }
        var all: [String] { bodies.withLock { $0 } }
    }

    @Test("200 and 204 are delivered; 5xx and silence are tried again; 400 and a redirect are given up")
    func outcomes() async throws {
        let received = Received()
        let router = Router()
        router.post("/bc/:status") { request, context -> Response in
            let body = try await request.body.collect(upTo: 65536)
            received.append("\(request.headers[.contentType] ?? "") \(String(buffer: body))")
            let status = Int(try context.parameters.require("status")) ?? 500
            if status == 302 { return Response(status: .found, headers: [.location: "/bc/200"]) }
            return Response(status: .init(code: status))
        }
        router.post("/slow") { _, _ -> Response in
            try await Task.sleep(for: .seconds(5))
            return Response(status: .ok)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let base = "http://127.0.0.1:\(try #require(client.port))"
            let poster = LogoutTokenPoster(timeout: .seconds(15))
            #expect(await poster.post(logoutToken: "a.b.c", to: base + "/bc/200") == .delivered)
            #expect(received.all == ["application/x-www-form-urlencoded logout_token=a.b.c"])
            #expect(await poster.post(logoutToken: "a.b.c", to: base + "/bc/204") == .delivered)
            #expect(
                await poster.post(logoutToken: "a.b.c", to: base + "/bc/503") == .temporary("the client answered 503"))
            #expect(
                await poster.post(logoutToken: "a.b.c", to: base + "/bc/400") == .permanent("the client answered 400"))
            #expect(
                await poster.post(logoutToken: "a.b.c", to: base + "/bc/302") == .permanent("the client answered 302"),
                "a redirect is not followed")
            #expect(received.all.count == 5, "nothing was sent to where the redirect pointed")
            let impatient = LogoutTokenPoster(timeout: .seconds(1))
            guard case .temporary = await impatient.post(logoutToken: "a.b.c", to: base + "/slow") else {
                Issue.record("a client that does not answer in time is tried again")
                return
            }
        }
        let closed = await LogoutTokenPoster(timeout: .seconds(1)).post(
            logoutToken: "a.b.c", to: "http://127.0.0.1:9/bc")
        guard case .temporary = closed else {
            Issue.record("a client that cannot be reached is tried again: \(closed)")
            return
        }
    }
}
