#if canImport(Glibc)
    import Glibc
#endif

/// The lines of a file (or of standard input for `-`), read in 1 MiB chunks: a million-row export
/// is never held whole. A line longer than `maximumLength` is handed on cut short and flagged,
/// so the reader reports it instead of buffering without bound. `\r\n` endings count as `\n`.
public final class LineFile: Sequence, IteratorProtocol {
    public struct Line {
        public var number: Int
        public var bytes: ArraySlice<UInt8>
        public var truncated: Bool
    }

    public static let maximumLength = 64 << 10
    private let descriptor: Int32
    private let owned: Bool
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private var number = 0
    /// Bytes handed out so far, for progress against `size`.
    public private(set) var bytesRead = 0
    /// The file's size, nil for a pipe.
    public let size: Int?

    public init(path: String) throws(ImportFileError) {
        if path == "-" {
            descriptor = 0
            owned = false
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            owned = true
        }
        guard descriptor >= 0 else { throw ImportFileError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        size = fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil
    }

    /// A read that failed part-way: what came before was handed on, and the import must say so.
    public private(set) var failure: ImportFileError?

    deinit {
        if owned { _ = Glibc.close(descriptor) }
    }

    public func next() -> Line? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                var line = take(upTo: newline, skipping: 1)
                if line.bytes.count > Self.maximumLength {
                    line.bytes = line.bytes.prefix(Self.maximumLength)
                    line.truncated = true
                }
                return line
            }
            if buffer.count - start > Self.maximumLength {
                // Too long: hand on the first part, flagged, and drop the rest of it up to its end.
                var line = take(upTo: start + Self.maximumLength, skipping: 0)
                line.truncated = true
                while !atEnd {
                    if let newline = buffer[start...].firstIndex(of: 0x0A) {
                        bytesRead += newline + 1 - start
                        start = newline + 1
                        break
                    }
                    bytesRead += buffer.count - start
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                    fill()
                }
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                return take(upTo: buffer.count, skipping: 0)
            }
            fill()
        }
    }

    private func take(upTo end: Int, skipping: Int) -> Line {
        number += 1
        var bytes = buffer[start..<end]
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        bytesRead += end + skipping - start
        start = end + skipping
        return Line(number: number, bytes: bytes, truncated: false)
    }

    private func fill() {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let chunk = 1 << 20
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        var got = 0
        repeat {
            got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + old, chunk) }
        } while got < 0 && errno == EINTR
        buffer.removeLast(chunk - Swift.max(got, 0))
        if got < 0 { failure = ImportFileError("reading failed: \(String(cString: strerror(errno)))") }
        if got <= 0 { atEnd = true }
    }
}

/// A file that cannot be imported at all (unreadable, no header, unknown columns): exit status 3.
public struct ImportFileError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
