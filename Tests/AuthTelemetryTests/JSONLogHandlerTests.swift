import Foundation
import Logging
import Testing

@testable import AuthTelemetry

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    @Test("one object per line: fixed fields, sorted metadata, nested values, shadowed keys renamed")
    func shape() throws {
        let line = JSONLogHandler.line(
            time: (1_795_000_000, 7), level: .notice, label: "authd", message: "user \"x\"\nchanged",
            metadata: [
                "user_id": "42", "message": "shadow", "list": ["a", .stringConvertible(3)],
                "nested": ["b": "2", "a": ["deep": "1"]],
            ], error: "boom")
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        #expect(
            line
                == #"{"time":"2026-11-18T11:06:40.007Z","level":"notice","logger":"authd","message":"user \"x\"\nchanged","#
                + #""_message":"shadow","list":["a","3"],"nested":{"a":{"deep":"1"},"b":"2"},"user_id":"42","error":"boom"}"#
                + "\n")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "user \"x\"\nchanged")
    }

    @Test(
        "control characters, quotes, backslashes and line separators are escaped; other Unicode passes",
        arguments: ["\u{0}\u{1F}\u{7F}", "tab\there", #"back\slash"#, "\u{2028}\u{2029}", "ünïcödé ✓ 🔑"])
    func escaping(text: String) throws {
        let line = JSONLogHandler.line(
            time: (0, 0), level: .info, label: "t", message: text, metadata: [:], error: nil)
        #expect(!line.dropLast().contains("\n") && !line.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == text)
        #expect(object["time"] as? String == "1970-01-01T00:00:00.000Z")
    }
}

@Suite("request events")
struct RequestEventTests {
    static let events = [
        RequestEvent(
            requestID: "r-1", method: "GET", route: "/protected", status: 200, duration: "0.123", peer: "10.0.0.1",
            proxy: "127.0.0.1", userID: "42"),
        RequestEvent(
            requestID: "r-2", method: "POST", route: "unmatched", status: 404, duration: "12.000", peer: nil,
            proxy: nil, userID: nil),
        RequestEvent(
            requestID: "r\"3", method: "GET", route: "/a\u{2028}b", status: 503, duration: "1.5", peer: "::1",
            proxy: nil, userID: "7"),
    ]

    @Test("the direct line is exactly the generic line of the same metadata", arguments: events.indices)
    func sameLine(index: Int) {
        let event = Self.events[index]
        let direct = String(
            decoding: JSONLogHandler.requestLine(time: (1_795_000_000, 7), label: "authd.http", event: event),
            as: UTF8.self)
        let generic = JSONLogHandler.line(
            time: (1_795_000_000, 7), level: .info, label: "authd.http", message: "request", metadata: event.metadata,
            error: nil)
        #expect(direct == generic)
    }

    @Test("with metadata of the handler's own, the request event goes the generic way and keeps it")
    func handlerMetadata() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        var handler = JSONLogHandler(label: "t", level: .info, metadataProvider: nil, sink: LogSink(descriptor: fds[1]))
        handler[metadataKey: "instance"] = "a"
        handler.log(request: Self.events[1])
        handler.sink.flush()
        close(fds[1])
        let line = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["instance"] == "a" && object["request_id"] == "r-2" && object["message"] == "request")
    }
}

@Suite("JSON log handler")
struct JSONLogHandlerMergeTests {
    @Test("metadata from the provider, the handler and the event merge, later ones winning", arguments: [false, true])
    func merging(withProvider: Bool) throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let provider = Logger.MetadataProvider { ["request_id": "r1", "a": "provider"] }
        var handler = JSONLogHandler(
            label: "t", level: .info, metadataProvider: withProvider ? provider : nil,
            sink: LogSink(descriptor: fds[1]))
        handler[metadataKey: "a"] = "handler"
        handler[metadataKey: "b"] = "handler"
        handler.log(
            event: LogEvent(
                level: .notice, message: "m", metadata: ["b": "event"], source: "t", file: #file,
                function: #function, line: #line))
        close(fds[1])
        let line = String(decoding: FileHandle(fileDescriptor: fds[0]).readDataToEndOfFile(), as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["a"] == "handler" && object["b"] == "event")
        #expect(object["request_id"] == (withProvider ? "r1" : nil))
    }
}

@Suite("text log lines")
struct TextLogHandlerTests {
    @Test("a value with a newline cannot forge a line; quotes, spaces and controls are escaped")
    func injection() {
        let line = TextLogHandler.line(
            time: (1_795_000_000, 7), level: .notice, label: "authd", message: "line client authentication failed",
            metadata: [
                "client": "x\n2026-11-18T11:06:41.000Z notice authd: line client authenticated",
                "peer": "127.0.0.1", "note": "two words", "quote": "a\"b\\c\r\u{1}\u{2028}",
            ])
        #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"))
        #expect(
            line
                == #"2026-11-18T11:06:40.007Z notice authd: client="x\n2026-11-18T11:06:41.000Z notice authd: line client authenticated" note="two words" peer=127.0.0.1 quote="a\"b\\c\r\u{1}\u{2028}" line client authentication failed"#
                + "\n")
    }
}
