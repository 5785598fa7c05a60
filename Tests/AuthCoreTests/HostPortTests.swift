import AuthCore
import Testing

@Suite("host:port, the one address parser, and Duration in whole units")
struct HostPortTests {
    @Test(
        "host:port, [v6]:port and names parse; port 0 is allowed",
        arguments: [
            ("127.0.0.1:5000", "127.0.0.1", 5000), ("[::1]:0", "::1", 0),
            ("auth.example.com:5001", "auth.example.com", 5001),
            ("[fe80::1%eth0]:65535", "fe80::1%eth0", 65535),
        ] as [(String, String, Int)])
    func parses(_ text: String, host: String, port: Int) throws {
        let address = try #require(HostPort(text))
        #expect(address.host == host && address.port == port)
    }

    @Test(
        "everything else is refused",
        arguments: [
            "5000", "localhost", ":5000", "host:99999", "host:port", "host:+80", "host:-1", "::1:5000", "[]:80",
            "host:",
        ])
    func refused(_ text: String) {
        #expect(HostPort(text) == nil)
    }

    @Test("durations in whole milliseconds and microseconds round down; seconds keep the fraction")
    func durations() {
        #expect(Duration.milliseconds(1500).wholeMilliseconds == 1500)
        #expect(Duration.microseconds(1999).wholeMilliseconds == 1)
        #expect(Duration.nanoseconds(2999).wholeMicroseconds == 2)
        #expect(Duration.seconds(3).wholeMicroseconds == 3_000_000)
        #expect(Duration.milliseconds(250).inSeconds == 0.25)
    }

    @Test("loopback: localhost, ::1 and 127/8, nothing else")
    func loopback() {
        #expect(["localhost", "::1", "127.0.0.1", "127.1.2.3"].allSatisfy(HostPort.isLoopback))
        #expect(!["0.0.0.0", "::", "192.0.2.1", "localhost.example", "128.0.0.1"].contains(where: HostPort.isLoopback))
    }
}
