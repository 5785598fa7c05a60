import Testing

@testable import AuthHooks

#if canImport(Glibc)
    import Glibc
#endif

@Suite("a helper's input lines")
struct LineReaderTests {
    /// The batches a reader returns for `input` written to a pipe and closed.
    func batches(_ input: [UInt8], maximumLength: Int) -> [[[UInt8]]] {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let written = input.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        #expect(written == input.count)
        close(fds[1])
        defer { close(fds[0]) }
        var reader = LineReader(fd: fds[0], maximumLength: maximumLength)
        var batches: [[[UInt8]]] = []
        while let batch = reader.nextBatch() { batches.append(batch) }
        return batches
    }

    @Test("all complete lines of one read come together; an unterminated tail is dropped at the end")
    func batch() {
        let result = batches(Array("a b\n\nc d\ntail".utf8), maximumLength: 100)
        #expect(result == [[Array("a b".utf8), [], Array("c d".utf8)]])
    }

    @Test("an over-long line comes as its first maximum + 1 bytes, and the rest of it is skipped")
    func overLong() {
        let long = Array("7 ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 50)
        let result = batches(Array("1 a\n".utf8) + long + Array("\n2 b\n".utf8), maximumLength: 10)
        #expect(result.flatMap { $0 } == [Array("1 a".utf8), Array(long.prefix(11)), Array("2 b".utf8)])
    }
}
