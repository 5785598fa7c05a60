import AuthCore
import Testing

/// A module that answers what it was built with, for the engine's truth table.
struct FixedModule: StackModule {
    let result: ModuleResult
    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult { result }
}

let S = ModuleResult.success
let I = ModuleResult.ignore
func F(_ n: Int) -> ModuleResult { .failure(kind: "auth_err", reason: "F\(n)") }

func stack(_ lines: [(StackControl, ModuleResult)]) -> [StackEntry] {
    lines.enumerated().map { index, line in
        StackEntry(facility: .auth, control: line.0, module: FixedModule(result: line.1), location: "t:\(index + 1)")
    }
}

func verdict(_ lines: [(StackControl, ModuleResult)]) async throws -> String {
    let result = try await StackEngine.evaluate(stack(lines)) { entry in
        var attempt = AuthAttempt(service: "t", username: "u", password: "p")
        return try await entry.module.run(&attempt, facility: .auth)
    }
    switch result {
    case .success: return "success"
    case .undecided: return "denied"
    case .failure(_, let reason, _): return reason
    }
}

@Suite("PAM-style stack engine")
struct StackEngineTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let name: String
        let lines: [(StackControl, ModuleResult)]
        let expected: String
        var testDescription: String { "\(name) → \(expected)" }
    }

    /// Linux-PAM's behaviour, as listed in the stacks issue, plus the bracket actions.
    static let truthTable: [Row] = [
        Row(name: "required(F1),sufficient(S)", lines: [(.required, F(1)), (.sufficient, S)], expected: "F1"),
        Row(name: "sufficient(S),required(F)", lines: [(.sufficient, S), (.required, F(1))], expected: "success"),
        Row(name: "requisite(F2),required(F1)", lines: [(.requisite, F(2)), (.required, F(1))], expected: "F2"),
        Row(name: "required(F1),requisite(F2)", lines: [(.required, F(1)), (.requisite, F(2))], expected: "F1"),
        Row(name: "optional(F) only", lines: [(.optional, F(1))], expected: "denied"),
        Row(name: "optional(S) only", lines: [(.optional, S)], expected: "success"),
        Row(name: "sufficient(F),required(S)", lines: [(.sufficient, F(1)), (.required, S)], expected: "success"),
        Row(
            name: "required(S),sufficient(S),required(F)",
            lines: [(.required, S), (.sufficient, S), (.required, F(1))],
            expected: "success"),
        Row(name: "empty", lines: [], expected: "denied"),
        Row(name: "required(I) only", lines: [(.required, I)], expected: "denied"),
        Row(name: "required(S),optional(F)", lines: [(.required, S), (.optional, F(1))], expected: "success"),
        Row(name: "required(F1),required(F2)", lines: [(.required, F(1)), (.required, F(2))], expected: "F1"),
        Row(name: "required(S),required(F2)", lines: [(.required, S), (.required, F(2))], expected: "F2"),
        Row(
            name: "[success=ok default=bad](S),required(S)",
            lines: [(StackControl(actions: ["success": .ok], defaultAction: .bad), S), (.required, S)],
            expected: "success"),
        Row(
            name: "[success=done default=die](S),required(F)",
            lines: [(StackControl(actions: ["success": .done], defaultAction: .die), S), (.required, F(1))],
            expected: "success"),
        Row(
            name: "[success=done default=die](F2),required(S)",
            lines: [(StackControl(actions: ["success": .done], defaultAction: .die), F(2)), (.required, S)],
            expected: "F2"),
        Row(
            name: "[default=bad](F3),required(S)",
            lines: [(StackControl(actions: [:], defaultAction: .bad), F(3)), (.required, S)], expected: "F3"),
        Row(
            name: "[default=ignore](F),optional(S)",
            lines: [(StackControl(actions: [:], defaultAction: .ignore), F(1)), (.optional, S)], expected: "success"),
        Row(
            name: "[success=bad](S) only",
            lines: [(StackControl(actions: ["success": .bad], defaultAction: .ignore), S)],
            expected: "a success was mapped to failure"),
        Row(
            name: "[auth_err=die default=ok](F4),required(S)",
            lines: [(StackControl(actions: ["auth_err": .die], defaultAction: .ok), F(4)), (.required, S)],
            expected: "F4"),
    ]

    @Test("Linux-PAM truth table", arguments: truthTable)
    func truth(_ row: Row) async throws {
        #expect(try await verdict(row.lines) == row.expected)
    }

    @Test("done and die stop the stack before later modules run")
    func stopsEarly() async throws {
        var ran: [String] = []
        let entries = stack([(.sufficient, S), (.required, F(1))]) + stack([(.requisite, F(2)), (.required, S)])
        _ = try await StackEngine.evaluate(Array(entries.prefix(2))) { entry in
            ran.append(entry.location)
            var attempt = AuthAttempt(service: "t", username: "u", password: "p")
            return try await entry.module.run(&attempt, facility: .auth)
        }
        #expect(ran == ["t:1"])
    }
}

@Suite("stack files")
struct StackParserTests {
    var registry: ModuleRegistry {
        var registry = ModuleRegistry()
        registry.register("permit") { arguments in
            try arguments.allowOnly([])
            return FixedModule(result: .success)
        }
        registry.register("deny") { arguments in
            try arguments.allowOnly(["reason"])
            return FixedModule(result: .failure(kind: "perm_denied", reason: arguments.string("reason") ?? "denied"))
        }
        return registry
    }

    @Test("comments, blank lines, classic and bracket controls")
    func parses() throws {
        let text = """
            # facility  control                      module  arguments
            auth        requisite                    permit

            auth        [success=done default=bad]   deny    reason=x   # trailing comment
            account     optional                     permit
            """
        let stack = try StackParser.parse(text, service: "imap", file: "stacks/imap", registry: registry)
        #expect(stack.entries.count == 3)
        #expect(stack.entries(.auth).count == 2)
        #expect(stack.entries[1].control == StackControl(actions: ["success": .done], defaultAction: .bad))
        #expect(stack.entries[1].location == "stacks/imap:4")
    }

    @Test(
        "every error names file and line",
        arguments: [
            ("auth required", "f:1: expected: facility control module [arguments]"),
            ("session required permit", "f:1: unknown facility 'session' (auth or account)"),
            ("auth mandatory permit", "f:1: unknown control 'mandatory'"),
            ("\nauth required frobnicate", "f:2: unknown module 'frobnicate'"),
            ("auth required permit colour=red", "f:1: unknown argument 'colour'"),
            ("auth required deny reason", "f:1: argument 'reason' is not key=value"),
            ("auth required deny reason=a reason=b", "f:1: argument 'reason' given twice"),
            ("auth [success=ok default=bad permit", "f:1: unterminated '[' in control"),
            ("auth [success=jump] permit", "f:1: bad control item 'success=jump' (value=ok|done|bad|die|ignore)"),
            ("auth [frob=ok] permit", "f:1: unknown result 'frob' in control"),
            ("auth [success=2] permit", "f:1: bad control item 'success=2' (value=ok|done|bad|die|ignore)"),
        ])
    func errors(_ text: String, _ message: String) {
        #expect {
            try StackParser.parse(text, service: "s", file: "f", registry: registry)
        } throws: { error in
            (error as? StackConfigError)?.message == message
        }
    }
}
