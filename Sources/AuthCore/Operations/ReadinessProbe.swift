/// Answers `/readyz`: what keeps this instance from serving, or nothing when it is ready.
public protocol ReadinessProbe: Sendable {
    func problems() async -> [String]
}
