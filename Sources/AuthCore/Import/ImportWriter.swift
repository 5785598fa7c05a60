/// Writes an import's batches, up to `concurrency` transactions at once, and hands what each did
/// back in file order, so the report and the notices read as the file does. A batch that creates
/// roles is written alone: the rows of later batches need those roles committed.
struct ImportWriter {
    let importer: any UserImportStore
    let options: ImportOptions
    let actor: Actor
    private var launched = 0
    private var applied = 0
    private var finished: [Int: WrittenBatch] = [:]
    /// A dry run rolls every batch back, so each creates again the roles earlier ones did.
    private var rolesSoFar: [String] = []

    init(importer: any UserImportStore, options: ImportOptions, actor: Actor) {
        self.importer = importer
        self.options = options
        self.actor = actor
    }

    /// Starts writing `rows` (creating `newRoles` first) once fewer than `concurrency` batches
    /// are in flight; `apply` hears every batch that finished meanwhile, in file order.
    mutating func write(
        _ rows: [ImportRow], creatingRoles newRoles: [String],
        in group: inout ThrowingTaskGroup<WrittenBatch, any Error>, then apply: (WrittenBatch) -> Void
    ) async throws {
        rolesSoFar += newRoles
        try await settle(leaving: newRoles.isEmpty ? options.concurrency - 1 : 0, in: &group, then: apply)
        let (importer, options, actor, index) = (importer, options, actor, launched)
        let creating = options.dryRun ? rolesSoFar : newRoles
        group.addTask {
            let outcomes = try await importer.importBatch(
                rows, creatingRoles: creating, source: options.source, by: actor, dryRun: options.dryRun)
            return WrittenBatch(index: index, rows: rows, outcomes: outcomes, createdRoles: newRoles)
        }
        launched += 1
        if !newRoles.isEmpty { try await settle(leaving: 0, in: &group, then: apply) }
    }

    /// Waits until at most `limit` batches are unapplied, applying them in file order.
    mutating func settle(
        leaving limit: Int, in group: inout ThrowingTaskGroup<WrittenBatch, any Error>,
        then apply: (WrittenBatch) -> Void
    ) async throws {
        while launched - applied > limit, let done = try await group.next() {
            finished[done.index] = done
            while let ready = finished.removeValue(forKey: applied) {
                apply(ready)
                applied += 1
            }
        }
    }
}

/// One batch as the store wrote it, with its place in the file.
struct WrittenBatch: Sendable {
    let index: Int
    let rows: [ImportRow]
    let outcomes: [ImportOutcome]
    let createdRoles: [String]
}
