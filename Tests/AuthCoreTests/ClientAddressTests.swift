import AuthCore
import AuthTestSupport
import Testing

@Suite("client addresses: parsing, networks, and how limits group them")
struct ClientAddressTests {
    @Test("addresses parse to their bytes; an IPv4-mapped IPv6 address is the IPv4 one")
    func addresses() {
        #expect(IPAddress("192.0.2.1")?.bytes == [192, 0, 2, 1])
        #expect(IPAddress("::ffff:192.0.2.1") == IPAddress("192.0.2.1"))
        #expect(IPAddress("2001:DB8::1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:db8::1")?.isIPv6 == true)
        for bad in ["", "example.com", "192.0.2.1:80", "[2001:db8::1]", "1.2.3", "192.0.2.1/24", "unknown"] {
            #expect(IPAddress(bad) == nil, "\(bad)")
        }
    }

    @Test("networks contain exactly their addresses, IPv4-mapped ones included")
    func networks() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        #expect(ten.contains(try #require(IPAddress("10.255.1.2"))))
        #expect(ten.contains(try #require(IPAddress("::ffff:10.1.2.3"))))
        #expect(!ten.contains(try #require(IPAddress("11.0.0.1"))))
        #expect(!ten.contains(try #require(IPAddress("::a00:1"))), "an IPv6 address is never in an IPv4 network")
        let v6 = try #require(IPNetwork("2001:db8:abcd::/48"))
        #expect(v6.contains(try #require(IPAddress("2001:db8:abcd:ffff::1"))))
        #expect(!v6.contains(try #require(IPAddress("2001:db8:abce::1"))))
        #expect(IPNetwork("192.0.2.77/24")?.description == "192.0.2.0/24")
        #expect(IPNetwork("::ffff:10.0.0.0/104") == ten)
        #expect(IPNetwork("127.0.0.1") == IPNetwork("127.0.0.1/32"))
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0.0/8/8", "10.0.0.0/-1", "host/8"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test("limits key IPv6 by /64 (configurable), IPv4 by address, anything else as it is")
    func grouping() {
        let grouping = AddressGrouping()
        #expect(grouping.key("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(grouping.key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64")
        #expect(grouping.key("2001:db8:1:3::1") != grouping.key("2001:db8:1:2::1"))
        #expect(grouping.key("192.0.2.1") == "192.0.2.1")
        #expect(grouping.key("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(grouping.key("not an address") == "not an address")
        #expect(AddressGrouping(ipv6Prefix: 128).key("2001:db8::1") == "2001:db8::1")
        #expect(AddressGrouping(ipv6Prefix: 48).key("2001:db8:1:2::1") == "2001:db8:1::/48")
    }

    @Test("the per-address attempt limit counts a whole IPv6 /64 as one client")
    func attemptLimitByPrefix() async throws {
        let stack = try await TestStack(configuration: .init(attemptLimit: .init(burst: 2, perSecond: 0.001)))
        func attempt(_ source: String) async -> AuthError.Code? {
            do {
                _ = try await stack.service.authenticate(
                    service: "http", username: "nobody", password: "wrong password", source: source)
                return nil
            } catch {
                return (error as? AuthError)?.code
            }
        }
        #expect(await attempt("2001:db8:1:2::1") == .invalidCredentials)
        #expect(await attempt("2001:db8:1:2::2") == .invalidCredentials)
        #expect(await attempt("2001:db8:1:2::3") == .rateLimited, "a fresh address in the same /64")
        #expect(await attempt("2001:db8:1:3::1") == .invalidCredentials, "another /64")
        await stack.shutdown()
    }

    @Test("lockout by account+source counts failures from one /64 together")
    func lockoutByPrefix() async throws {
        let stack = try await TestStack(
            stacks: TestStack.stack(
                "http", "auth required lockout attempts=2 window=15m lock=15m\nauth required password"))
        let (user, _) = try await stack.account()
        for host in ["::a", "::b"] {
            await #expect(throws: AuthError.self) {
                _ = try await stack.service.authenticate(
                    service: "http", username: user.username, password: "wrong password", source: "2001:db8:5:6" + host)
            }
        }
        await #expect(throws: AuthError.self, "locked for every address of the /64") {
            _ = try await stack.service.authenticate(
                service: "http", username: user.username, password: TestStack.password, source: "2001:db8:5:6::c")
        }
        let other = try await stack.service.authenticate(
            service: "http", username: user.username, password: TestStack.password, source: "2001:db8:5:7::c")
        #expect(other.id == user.id, "another /64 is not locked")
        await stack.shutdown()
    }

    @Test("the per-account failure limit holds whatever the addresses, for unknown and real accounts alike")
    func accountLimit() async throws {
        let stack = try await TestStack(configuration: .init(accountLimit: .init(burst: 3, perSecond: 0.001)))
        let (user, _) = try await stack.account()
        func attempt(_ name: String, _ password: String, from index: Int) async -> AuthError.Code? {
            do {
                _ = try await stack.service.authenticate(
                    service: "http", username: name, password: password, source: "198.51.100.\(index)")
                return nil
            } catch {
                return (error as? AuthError)?.code
            }
        }
        #expect(await attempt(user.username, TestStack.password, from: 1) == nil)
        for index in 2...4 {
            #expect(await attempt(user.username, "wrong password", from: index) == .invalidCredentials)
        }
        #expect(await attempt(user.username.uppercased(), TestStack.password, from: 5) == .rateLimited)
        for index in 2...4 {
            #expect(await attempt("nobody-" + user.username, "wrong", from: index) == .invalidCredentials)
        }
        #expect(await attempt("nobody-" + user.username, "wrong", from: 5) == .rateLimited)
        await stack.shutdown()
    }
}
