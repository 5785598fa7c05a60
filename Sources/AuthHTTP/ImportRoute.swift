public import AuthCore
import AuthImport
public import Hummingbird
import NIOCore

/// `POST /admin/users/import` (README, "Moving to authd"): JSON lines, one account per line, as
/// `authctl user import --format jsonl` reads them; `users:write`, audited per batch. The body is
/// read as it arrives, never whole: its own limit (`maximumImportSize`) instead of the API's 64 KiB,
/// each line at most 64 KiB.
extension HTTPFrontEnd {
    static let importContentTypes = ["application/x-ndjson", "application/jsonl", "application/json-lines"]

    func addImportRoute(to router: MethodTable, admin: AdminService) {
        router.group("/admin/users").post("/import") { request, context in
            let actor = try actor(request, context, .permission(Permission.usersWrite))
            let query = try QueryParameters(request, allowed: ["dry_run", "create_roles"])
            let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingSpaces.lowercased()
            guard let mediaType, Self.importContentTypes.contains(mediaType) else {
                throw APIError(
                    .unsupportedMediaType, code: "unsupported_media_type",
                    message: "Content-Type must be application/x-ndjson (JSON lines)")
            }
            let limit = configuration.maximumImportSize
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
                throw APIError(
                    .contentTooLarge, code: "body_too_large", message: "import body is larger than \(limit) bytes")
            }
            let dryRun = try query.bool("dry_run") ?? false
            let lines = ImportBodyLines(body: request.body, limit: limit)
            let report = try await admin.importUsers(
                lines,
                options: ImportOptions(
                    dryRun: dryRun, createRoles: try query.bool("create_roles") ?? false, source: "admin-api"),
                by: actor)
            return ImportReportResponse(report, dryRun: dryRun)
        }
    }
}

/// A request body's JSON lines as import items, read chunk by chunk. A body over `limit` ends
/// with 413 (the batches written before it stay written; the audit trail has them).
struct ImportBodyLines<Body: AsyncSequence & Sendable>: AsyncSequence where Body.Element == ByteBuffer {
    typealias Element = ImportItem
    let body: Body
    let limit: Int

    func makeAsyncIterator() -> Iterator { Iterator(chunks: body.makeAsyncIterator(), limit: limit) }

    struct Iterator: AsyncIteratorProtocol {
        var chunks: Body.AsyncIterator
        let limit: Int
        var pending: [UInt8] = []
        var start = 0
        var total = 0
        var line = 0
        var ended = false
        /// The rest of a line longer than the line limit is being skipped.
        var skipping = false

        mutating func next() async throws -> ImportItem? {
            while true {
                if let newline = pending[start...].firstIndex(of: 0x0A) {
                    let bytes = pending[start..<newline]
                    start = newline + 1
                    if skipping {  // the end of a line already reported as too long
                        skipping = false
                        continue
                    }
                    line += 1
                    if bytes.count > LineFile.maximumLength {
                        return .failure(
                            ImportNotice(.malformedRow, line: line, username: "", "line longer than 64 KiB"))
                    }
                    if let item = item(bytes) { return item }
                    continue
                }
                if pending.count - start > LineFile.maximumLength, !skipping {
                    line += 1
                    skipping = true
                    pending.removeAll(keepingCapacity: true)
                    start = 0
                    return .failure(ImportNotice(.malformedRow, line: line, username: "", "line longer than 64 KiB"))
                }
                if skipping {
                    pending.removeAll(keepingCapacity: true)
                    start = 0
                }
                if ended {
                    guard start < pending.count, !skipping else { return nil }
                    let bytes = pending[start...]
                    start = pending.count
                    line += 1
                    if let item = item(bytes) { return item }
                    return nil
                }
                guard let chunk = try await chunks.next() else {
                    ended = true
                    continue
                }
                total += chunk.readableBytes
                guard total <= limit else {
                    throw APIError(
                        .contentTooLarge, code: "body_too_large", message: "import body is larger than \(limit) bytes")
                }
                if start > 0 {
                    pending.removeSubrange(0..<start)
                    start = 0
                }
                pending += chunk.readableBytesView
            }
        }

        private func item(_ bytes: ArraySlice<UInt8>) -> ImportItem? {
            var bytes = bytes
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { return nil }
            return JSONLinesImport.record(bytes, line: line)
        }
    }
}

/// The running report as the API answers it and `authctl user import --json` prints it.
public struct ImportReportResponse: ResponseEncodable {
    struct Notice: Encodable {
        let line: Int
        let code: String
        let username: String
        let reason: String
    }

    let read, imported, unchanged, skipped, warnings: Int
    let skippedByCode: [String: Int]
    let createdRoles: [String]
    let dryRun: Bool
    /// The first thousand skips and warnings.
    let notices: [Notice]

    public init(_ report: ImportReport, dryRun: Bool) {
        (read, imported, unchanged, skipped, warnings) = (
            report.read, report.imported, report.unchanged, report.skipped, report.warnings
        )
        skippedByCode = report.skippedByCode
        createdRoles = report.createdRoles
        self.dryRun = dryRun
        notices = report.notices.map {
            Notice(line: $0.line, code: $0.code.name, username: $0.username, reason: $0.reason)
        }
    }

    enum CodingKeys: String, CodingKey {
        case read, imported, unchanged, skipped, warnings, notices
        case skippedByCode = "skipped_by_code"
        case createdRoles = "created_roles"
        case dryRun = "dry_run"
    }
}
