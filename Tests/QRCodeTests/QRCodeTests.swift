import Testing

@testable import QRCode

@Suite("QR codes")
struct QRCodeTests {
    @Test(
        "the smallest version at level M that holds the bytes",
        arguments: [(1, 1), (14, 1), (15, 2), (26, 2), (27, 3), (213, 10), (214, 11), (2331, 40)])
    func versions(length: Int, version: Int) throws {
        let code = try #require(QRCode(text: String(repeating: "a", count: length)))
        #expect(code.version == version)
        #expect(code.size == version * 4 + 17)
    }

    @Test("too long for version 40 is nil")
    func tooLong() {
        #expect(QRCode(text: String(repeating: "a", count: 2332)) == nil)
    }

    @Test("Reed-Solomon codewords of the standard's 01234567 example")
    func reedSolomon() {
        // Version 1-M's 16 data codewords of the standard's "01234567" example (ISO 18004 Annex I).
        let data: [UInt8] = [
            0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11,
        ]
        let ecc = ReedSolomon.remainder(data, divisor: ReedSolomon.divisor(degree: 10))
        #expect(ecc == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }

    @Test("finder patterns sit in three corners and the format bits name the chosen mask")
    func structure() throws {
        let code = try #require(QRCode(text: "otpauth://totp/authd:alice?secret=JBSWY3DPEHPK3PXP&issuer=authd"))
        for (x, y) in [(0, 0), (code.size - 7, 0), (0, code.size - 7)] {
            #expect((0..<7).allSatisfy { code[x + $0, y] && code[x + $0, y + 6] && code[x, y + $0] })
            #expect(code[x + 3, y + 3] && !code[x + 1, y + 1])
        }
        var bits = 0
        for index in 0...5 { bits |= (code[8, index] ? 1 : 0) << index }
        bits |= (code[8, 7] ? 1 : 0) << 6
        bits |= (code[8, 8] ? 1 : 0) << 7
        bits |= (code[7, 8] ? 1 : 0) << 8
        for index in 9..<15 { bits |= (code[14 - index, 8] ? 1 : 0) << index }
        #expect((bits ^ 0x5412) >> 10 == code.mask, "level M (00) and the mask")
        #expect(
            code.svg.hasPrefix(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(code.size + 8) \(code.size + 8)\""))
    }
}
