import AuthCore
import AuthHTTP
import Foundation
import Testing

@Suite("every AuthError code has its answer")
struct ErrorCodeTests {
    @Test("over HTTP only internal is a 500, and the JSON code is the error's own", arguments: AuthError.Code.allCases)
    func http(_ code: AuthError.Code) {
        let answer = APIError(AuthError(code, "message"))
        #expect((answer.status == .internalServerError) == (code == .internal))
        #expect(answer.code == code.rawValue)
        #expect((400..<600).contains(answer.status.code))
    }

    @Test("every code is documented in docs/openapi.yaml or docs/line-protocol.md", arguments: AuthError.Code.allCases)
    func documented(_ code: AuthError.Code) throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs")
        let text = try ["openapi.yaml", "line-protocol.md"].map {
            try String(contentsOf: docs.appendingPathComponent($0), encoding: .utf8)
        }.joined()
        #expect(text.contains(code.rawValue))
    }
}
