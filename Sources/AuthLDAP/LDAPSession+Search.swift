import AuthCore

extension LDAPSession {
    /// Where entries come from, in the order a subtree search returns them.
    private enum Source {
        case fixed(LDAPEntry)
        case users
        case user(String)
        case groups
        case group(String)
    }

    /// Where a page stopped: the source, and in it the last user id or the next group's index.
    private struct Position {
        var source: Int
        var offset: Int64

        var cookie: [UInt8] {
            [UInt8(source)] + withUnsafeBytes(of: offset.bigEndian, Array.init)
        }

        init(source: Int, offset: Int64) {
            self.source = source
            self.offset = offset
        }

        init?(cookie: [UInt8], sources: Int) {
            guard cookie.count == 9, Int(cookie[0]) < sources else { return nil }
            source = Int(cookie[0])
            offset = cookie.dropFirst().reduce(0) { $0 << 8 | Int64($1) }
        }
    }

    /// The entries of a search, then its SearchResultDone.
    func search(_ id: Int64, _ search: LDAPSearch, controls: [LDAPControl]) async -> [UInt8] {
        var output: [UInt8] = []
        func done(_ result: LDAPResult, cookie: [UInt8]? = nil) -> [UInt8] {
            output
                + LDAPResponse.result(
                    id, LDAPResponse.Tag.searchDone, result,
                    controls: cookie.map { [LDAPResponse.pagedControl(cookie: $0)] } ?? [])
        }
        let directory = responder.directory
        guard let target = directory.target(search.base) else {
            return done(directory.noSuchObject(search.base))
        }
        // The root DSE and the schema are for everyone, bound or not (RFC 4512 §5.1).
        switch target {
        case .rootDSE, .schema:
            let entry = target == .rootDSE ? directory.rootDSE(startTLS: canStartTLS) : LDAPSchema.entry()
            if search.scope == .base, search.filter.matches(entry) == true {
                output += LDAPResponse.entry(id, entry.selecting(search.attributes), typesOnly: search.typesOnly)
            }
            return done(LDAPResult(.success))
        default: break
        }
        var paging: (size: Int, position: Position?)?
        if let control = controls.first(where: { $0.type == LDAPControl.pagedResults }) {
            guard let value = control.value, let paged = try? LDAPControl.pagedValue(value), paged.size >= 0 else {
                return done(LDAPResult(.protocolError, "bad paged results control"))
            }
            paging = (Int(min(paged.size, Int64(Int.max))), nil)
            if !paged.cookie.isEmpty {
                guard let position = Position(cookie: paged.cookie, sources: 256) else {
                    return done(LDAPResult(.protocolError, "bad paged results cookie"))
                }
                paging?.position = position
            }
            // A size of zero abandons the paged search.
            if paged.size == 0 { return done(LDAPResult(.success), cookie: []) }
        }
        let scope: DirectoryReadPolicy.Scope
        do {
            scope = try await responder.reader.scope(of: reader)
        } catch {
            return done(Self.failure(error))
        }
        if scope == .nothing {
            return done(LDAPResult(.insufficientAccessRights, "bind first"))
        }
        // An account or role the reader may not see does not exist for them.
        do {
            guard try await entry(target, in: scope) != nil else { return done(directory.noSuchObject(search.base)) }
        } catch {
            return done(Self.failure(error))
        }
        let sources = Self.sources(target, search.scope, directory)
        if let position = paging?.position, position.source >= sources.count {
            return done(LDAPResult(.protocolError, "bad paged results cookie"))
        }
        var limit = responder.configuration.sizeLimit
        if search.sizeLimit > 0 { limit = min(limit, Int(min(search.sizeLimit, Int64(Int.max)))) }
        if let paging { limit = min(limit, paging.size) }
        var timeLimit = responder.configuration.timeLimit
        if search.timeLimit > 0 { timeLimit = min(timeLimit, .seconds(search.timeLimit)) }
        let deadline = ContinuousClock.now + timeLimit
        var sent = 0
        var position = paging?.position ?? Position(source: 0, offset: 0)
        /// Sends `entry` if it matches; false once the limit is reached.
        func offer(_ entry: LDAPEntry) -> Bool {
            guard search.filter.matches(entry) == true else { return true }
            guard sent < limit else { return false }
            output += LDAPResponse.entry(id, entry.selecting(search.attributes), typesOnly: search.typesOnly)
            sent += 1
            return true
        }
        func full() -> [UInt8] {
            paging == nil
                ? done(LDAPResult(.sizeLimitExceeded, "size limit exceeded"))
                : done(LDAPResult(.success), cookie: position.cookie)
        }
        do {
            while position.source < sources.count {
                guard ContinuousClock.now < deadline else {
                    return done(LDAPResult(.timeLimitExceeded, "time limit exceeded"))
                }
                switch sources[position.source] {
                case .fixed(let entry):
                    guard offer(entry) else { return full() }
                case .user(let name):
                    if let user = try await responder.reader.user(named: name, in: scope) {
                        guard offer(directory.entry(user)) else { return full() }
                    }
                case .users:
                    if let name = search.filter.impliedUsername {
                        if position.offset == 0, let user = try await responder.reader.user(named: name, in: scope) {
                            guard offer(directory.entry(user)) else { return full() }
                        }
                        break
                    }
                    var exhausted = false
                    while !exhausted {
                        guard ContinuousClock.now < deadline else {
                            return done(LDAPResult(.timeLimitExceeded, "time limit exceeded"))
                        }
                        let batch = try await responder.reader.users(
                            after: position.offset, limit: Self.batch, in: scope)
                        exhausted = batch.count < Self.batch
                        for user in batch {
                            guard offer(directory.entry(user)) else { return full() }
                            position.offset = user.id
                        }
                    }
                case .groups, .group:
                    // No group has a uid, so a filter that requires one matches none (an absent
                    // attribute's equality is FALSE, RFC 4511 §4.5.1.7): do not read their members,
                    // which means reading every user.
                    if search.filter.impliedUsername != nil { break }
                    let groups = try await responder.reader.groups(in: scope)
                    var index = Int(position.offset)
                    while index < groups.count {
                        let group = groups[index]
                        if case .group(let name) = sources[position.source], group.name.lowercased() != name {
                            index += 1
                            continue
                        }
                        guard offer(directory.entry(group)) else { return full() }
                        index += 1
                        position.offset = Int64(index)
                    }
                }
                position = Position(source: position.source + 1, offset: 0)
            }
        } catch {
            return done(Self.failure(error))
        }
        // The last page: an empty cookie.
        return done(LDAPResult(.success), cookie: paging == nil ? nil : [])
    }

    private static let batch = 500

    /// Whether the entry `dn` holds `value` in `type`, as the reader may see it.
    func compare(_ dn: String, type: String, value: String) async -> LDAPResult {
        let directory = responder.directory
        guard let target = directory.target(dn) else { return directory.noSuchObject(dn) }
        let found: LDAPEntry?
        switch target {
        case .rootDSE: found = directory.rootDSE(startTLS: canStartTLS)
        case .schema: found = LDAPSchema.entry()
        default:
            do {
                let scope = try await responder.reader.scope(of: reader)
                guard scope != .nothing else { return LDAPResult(.insufficientAccessRights, "bind first") }
                found = try await entry(target, in: scope)
            } catch {
                return Self.failure(error)
            }
        }
        guard let found else { return directory.noSuchObject(dn) }
        switch LDAPFilter.equal(type, value).matches(found) {
        case true?: return LDAPResult(.compareTrue)
        case false?: return LDAPResult(.compareFalse)
        case nil: return LDAPResult(.undefinedAttributeType, "no such attribute type")
        }
    }

    /// The entry a DN names, if the scope shows it (the tree's fixed entries always).
    private func entry(_ target: LDAPDirectory.Target, in scope: DirectoryReadPolicy.Scope) async throws -> LDAPEntry? {
        let directory = responder.directory
        switch target {
        case .rootDSE: return directory.rootDSE(startTLS: canStartTLS)
        case .schema: return LDAPSchema.entry()
        case .base: return directory.baseEntry()
        case .people: return directory.branch("people")
        case .groups: return directory.branch("groups")
        case .user(let name): return try await responder.reader.user(named: name, in: scope).map(directory.entry)
        case .group(let name):
            return try await responder.reader.groups(in: scope).first { $0.name.lowercased() == name }
                .map(directory.entry)
        }
    }

    private static func sources(_ target: LDAPDirectory.Target, _ scope: LDAPSearch.Scope, _ directory: LDAPDirectory)
        -> [Source]
    {
        let people = Source.fixed(directory.branch("people"))
        let groups = Source.fixed(directory.branch("groups"))
        switch (target, scope) {
        case (.base, .base): return [.fixed(directory.baseEntry())]
        case (.base, .one): return [people, groups]
        case (.base, .subtree): return [.fixed(directory.baseEntry()), people, .users, groups, .groups]
        case (.people, .base): return [people]
        case (.people, .one): return [.users]
        case (.people, .subtree): return [people, .users]
        case (.groups, .base): return [groups]
        case (.groups, .one): return [.groups]
        case (.groups, .subtree): return [groups, .groups]
        case (.user(let name), .base), (.user(let name), .subtree): return [.user(name)]
        case (.group(let name), .base), (.group(let name), .subtree): return [.group(name)]
        default: return []
        }
    }

    /// A store failure: the database away is `unavailable`, anything else too, without detail.
    private static func failure(_ error: any Error) -> LDAPResult {
        if let error = error as? AuthError, error.code == .rateLimited || error.code == .busy {
            return LDAPResult(.busy, "busy, retry later")
        }
        return LDAPResult(.unavailable, "the directory is unavailable, retry later")
    }
}
