public import Logging
import Metrics
public import Prometheus

/// Process-wide set-up of logs and metrics, done once by the executable before anything logs.
public enum Telemetry {
    public enum LogFormat: String, Sendable {
        /// One JSON object per line (the default; what log shippers want).
        case json
        /// Plain text, for a developer's terminal (`TextLogHandler`: every field escaped).
        case text
    }

    /// Every logger writes `format` lines to standard error at `level` and up, with the task's
    /// request id (`RequestScope`) attached by `metadataProvider`.
    public static func bootstrapLogging(
        level: Logger.Level, format: LogFormat, metadataProvider: Logger.MetadataProvider? = nil
    ) {
        LoggingSystem.bootstrap(
            { label, provider in
                switch format {
                case .json:
                    return JSONLogHandler(label: label, level: level, metadataProvider: provider)
                case .text:
                    return TextLogHandler(label: label, level: level, metadataProvider: provider)
                }
            }, metadataProvider: metadataProvider)
    }

    /// Writes the log lines still gathered in memory; call before the process exits.
    public static func flushLogs() {
        LogSink.standardError.flush()
    }

    /// swift-metrics goes to a new Prometheus registry, which `GET /metrics` renders. Durations
    /// get buckets from 50 µs (a verified token) to 10 s (a stalled database).
    public static func bootstrapPrometheus() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
            .microseconds(2_500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2_500),
            .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
