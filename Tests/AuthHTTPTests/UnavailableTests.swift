import AuthCore
import AuthCrypto
import AuthHTTP
import AuthPostgres
import AuthTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("HTTP API: busy and unavailable are 503, never 500")
struct UnavailableTests {
    @Test(
        "every AuthCore error code maps to its status",
        arguments: [
            (AuthError.Code.invalidInput, HTTPResponse.Status.badRequest),
            (.usernameTaken, .conflict), (.emailTaken, .conflict), (.weakPassword, .unprocessableContent),
            (.invalidCredentials, .unauthorized), (.invalidToken, .unauthorized), (.tokenExpired, .unauthorized),
            (.tokenRevoked, .unauthorized), (.accountDenied, .forbidden), (.forbidden, .forbidden),
            (.notFound, .notFound), (.unknownRole, .unprocessableContent), (.roleExists, .conflict),
            (.roleInUse, .conflict), (.builtinRole, .conflict), (.lastAdmin, .conflict),
            (.unknownService, .serviceUnavailable), (.rateLimited, .tooManyRequests), (.busy, .serviceUnavailable),
            (.unavailable, .serviceUnavailable), (.internal, .internalServerError),
        ])
    func mapping(_ code: AuthError.Code, _ status: HTTPResponse.Status) {
        let error = APIError(AuthError(code, "m"))
        #expect(error.status == status)
        if status == .serviceUnavailable { #expect(error.headers[.retryAfter] == "1") }
        if status == .unauthorized { #expect(error.headers[.wwwAuthenticate] != nil) }
    }

    @Test("with the database unreachable, register and login answer 503 unavailable")
    func databaseAway() async throws {
        let stack = try await TestStack(databaseURL: TestStack.unreachableDatabase)
        try await withServer(stack: stack) { client in
            let register = try await client.register("alice")
            #expect(register.status == .serviceUnavailable)
            #expect(register.errorCode == "unavailable")
            #expect(register.headers[.retryAfter] == "1")
            let login = try await client.login("alice")
            #expect(login.status == .serviceUnavailable)
            #expect(!login.bodyText.contains("port=1"), "no connection details in responses")
        }
    }
}
