/// Times cross between PostgreSQL and AuthCore's policies as Unix milliseconds on the database's
/// clock, so every instance decides on the same time however their own clocks drift.
enum SQLTime {
    /// The SQL for `expression` (a timestamptz) in Unix milliseconds; NULL stays NULL.
    static func milliseconds(_ expression: String) -> String {
        "(extract(epoch FROM \(expression)) * 1000)::bigint"
    }

    /// The SQL for a timestamptz from a bigint parameter in Unix milliseconds.
    static func timestamp(_ parameter: String) -> String {
        "to_timestamp(\(parameter)::bigint / 1000.0)"
    }
}
