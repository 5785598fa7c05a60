extension ModuleRegistry {
    /// The modules every authd has: password, active, lockout, role, verified, mailcode, totp, permit,
    /// deny, time, source.
    public static func builtin(_ environment: StackEnvironment) -> ModuleRegistry {
        var registry = ModuleRegistry()
        PasswordModule.register(&registry, environment)
        LockoutModule.register(&registry, environment)
        TimeModule.register(&registry, environment)
        SourceModule.register(&registry, environment)
        registerAccountModules(&registry, environment)
        return registry
    }
}
