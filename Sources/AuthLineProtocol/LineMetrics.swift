import Metrics

/// `authd_line_replies_total{command, status}`: one counter per known command and reply status,
/// made once; unknown commands count as `unknown`, lines that do not parse as `malformed`.
final class LineMetrics: Sendable {
    private let counters: [String: [LineReply.Status: Counter]]

    init() {
        let statuses: [LineReply.Status] = [.ok, .no, .temp, .bad]
        var counters: [String: [LineReply.Status: Counter]] = [:]
        for command in LineCommands.commands + ["unknown", "malformed"] {
            counters[command] = Dictionary(
                uniqueKeysWithValues: statuses.map { status in
                    (
                        status,
                        Counter(
                            label: "authd_line_replies_total",
                            dimensions: [("command", command), ("status", status.rawValue)])
                    )
                })
        }
        self.counters = counters
    }

    func record(command: String, status: LineReply.Status) {
        let name = command.isEmpty ? "malformed" : (counters[command] == nil ? "unknown" : command)
        counters[name]?[status]?.increment()
    }
}
