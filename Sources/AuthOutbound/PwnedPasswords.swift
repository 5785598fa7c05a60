import AsyncHTTPClient
public import AuthCore
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The process's outbound HTTP client: like `HTTPClient.shared` (one pool, never shut down, TLS
/// verified), but it follows no redirect, so an answer comes from the host that was configured.
let outboundClient = HTTPClient(
    eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))

/// The Pwned Passwords range API (`GET {url}{PREFIX}`, `Add-Padding: true`), or any server that
/// answers alike (a local mirror): async-http-client, TLS verified, no redirect followed, the whole
/// exchange within `timeout`, at most `maximumBytes` of answer (a real range is about 30 KiB,
/// padded 40 KiB).
public struct PwnedPasswordsAPI: PasswordRangeSource {
    public var url: String
    public var timeout: Duration
    public var maximumBytes: Int

    public init(
        url: String = "https://api.pwnedpasswords.com/range/", timeout: Duration = .seconds(2),
        maximumBytes: Int = 1 << 20
    ) {
        self.url = url
        self.timeout = timeout
        self.maximumBytes = maximumBytes
    }

    public var description: String { url }

    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    public func range(_ prefix: String) async throws -> String {
        var request = HTTPClientRequest(url: url + prefix)
        request.headers.add(name: "Add-Padding", value: "true")
        request.headers.add(name: "User-Agent", value: "authd")
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        let response = try await outboundClient.execute(request, deadline: deadline)
        guard response.status == .ok else { throw Refused(description: "the range API answered \(response.status)") }
        return String(buffer: try await response.body.collect(upTo: maximumBytes))
    }
}

/// A local copy of the ranges, as the Pwned Passwords downloader writes them one file per prefix:
/// `{directory}/{PREFIX}.txt`. No network; a missing file is an error (the copy is incomplete), not
/// a clean password.
public struct PwnedPasswordsDirectory: PasswordRangeSource {
    public var directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var description: String { directory }

    public func range(_ prefix: String) async throws -> String {
        let path = "\(directory)/\(prefix).txt"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PwnedPasswordsAPI.Refused(description: "no range file \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
