#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `time hours=8-18 [days=mon-fri] [tz=Europe/Berlin]`: only within these hours (start inclusive,
/// end exclusive) and days, in the given time zone (default UTC).
struct TimeModule: StackModule {
    let hours: Range<Int>
    let days: Set<Int>
    let calendar: Calendar
    let clock: @Sendable () -> Int64

    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    static func register(_ registry: inout ModuleRegistry, _ environment: StackEnvironment) {
        registry.register("time") { arguments in
            try arguments.allowOnly(["hours", "days", "tz"])
            let hourParts = (arguments.string("hours") ?? "0-24").split(separator: "-").compactMap { Int($0) }
            guard hourParts.count == 2, (0...24).contains(hourParts[0]), (0...24).contains(hourParts[1]),
                hourParts[0] < hourParts[1]
            else { throw arguments.error("hours= must be START-END, 0 to 24, START before END") }
            let dayParts = (arguments.string("days") ?? "sun-sat").split(separator: "-").map(String.init)
            guard (1...2).contains(dayParts.count), let first = dayNames.firstIndex(of: dayParts[0]),
                let last = dayNames.firstIndex(of: dayParts.last!), first <= last
            else { throw arguments.error("days= must be a day or a range such as mon-fri") }
            var calendar = Calendar(identifier: .gregorian)
            guard let zone = TimeZone(identifier: arguments.string("tz") ?? "UTC") else {
                throw arguments.error("unknown time zone '\(arguments.string("tz") ?? "")'")
            }
            calendar.timeZone = zone
            return TimeModule(
                hours: hourParts[0]..<hourParts[1], days: Set(first...last), calendar: calendar,
                clock: environment.clock)
        }
    }

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        let now = Date(timeIntervalSince1970: TimeInterval(clock()))
        let hour = calendar.component(.hour, from: now)
        let day = calendar.component(.weekday, from: now) - 1
        return hours.contains(hour) && days.contains(day)
            ? .success : .failure(kind: "perm_denied", reason: "outside allowed hours")
    }
}

/// `source cidr=10.0.0.0/8,::1/128`: only from these client networks. An unknown source fails.
struct SourceModule: StackModule {
    let networks: [IPNetwork]

    static func register(_ registry: inout ModuleRegistry, _ environment: StackEnvironment) {
        registry.register("source") { arguments in
            try arguments.allowOnly(["cidr"])
            guard let list = arguments.string("cidr") else { throw arguments.error("source needs cidr=") }
            let networks = try list.split(separator: ",").map { item in
                guard let network = IPNetwork(item) else { throw arguments.error("bad network '\(item)' in cidr=") }
                return network
            }
            return SourceModule(networks: networks)
        }
    }

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        guard let source = attempt.source, let address = IPAddress(source) else {
            return .failure(kind: "perm_denied", reason: "unknown client address")
        }
        return networks.contains { $0.contains(address) }
            ? .success : .failure(kind: "perm_denied", reason: "client address not allowed")
    }
}
