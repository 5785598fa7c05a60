import Dispatch
import Hummingbird

/// `GET /hello` → `{"message":"hello","user_id":1}` on 127.0.0.1:$PORT, nothing else: no
/// middleware, no logging, the same JSON encoder authd uses by default. Started like authd (the
/// main thread waits, no `dispatch_main`), so that both run under valgrind for the instruction
/// counts.
struct Hello: ResponseEncodable {
    let message: String
    let userID: Int

    enum CodingKeys: String, CodingKey {
        case message
        case userID = "user_id"
    }
}

let router = Router()
router.get("/hello") { _, _ in Hello(message: "hello", userID: 1) }
let port = Int(Environment().get("PORT") ?? "") ?? 8080
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
let finished = DispatchSemaphore(value: 0)
Task.detached {
    try await app.runService()
    finished.signal()
}
finished.wait()
