/// A QR Code (ISO/IEC 18004) for a short text: byte mode, error correction level M, the smallest
/// version that holds it, and the mask with the lowest penalty. Enough for `otpauth://` URIs, so
/// that people can scan a TOTP secret instead of typing it. Built after the standard's algorithm as
/// Project Nayuki's reference implementation lays it out.
public struct QRCode: Sendable {
    /// Modules per side (21 for version 1, +4 per version).
    public let size: Int
    public let version: Int
    /// The data mask pattern (0–7) written into the format bits.
    public private(set) var mask = 0
    /// Row-major; true is dark.
    private(set) var modules: [Bool]
    private var isFunction: [Bool]

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    /// Nil when the text needs more than version 40 holds at level M (2,331 bytes). Without a
    /// `mask`, the one with the lowest penalty is chosen.
    public init?(text: String, mask forcedMask: Int? = nil) {
        let data = Array(text.utf8)
        guard let version = (1...40).first(where: { Self.fits(data.count, version: $0) }) else { return nil }
        let unmasked = QRCode(data: data, version: version)
        if let forcedMask {
            precondition((0..<8).contains(forcedMask), "QR masks are 0...7")
            self = unmasked.masked(forcedMask)
        } else {
            let candidates = (0..<8).map { unmasked.masked($0) }
            let penalties = candidates.map { $0.penalty() }
            self = candidates[penalties.indices.min { penalties[$0] < penalties[$1] }!]
        }
    }

    /// Function patterns and codewords, before any mask.
    private init(data: [UInt8], version: Int) {
        self.version = version
        size = version * 4 + 17
        modules = Array(repeating: false, count: size * size)
        isFunction = modules
        drawFunctionPatterns()
        draw(codewords: Self.interleavedWithErrorCorrection(Self.dataCodewords(data, version: version), version))
    }

    // MARK: Capacity and data

    static let eccPerBlock = [
        10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
        26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ]
    static let blocks = [
        1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
        17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ]

    /// Modules left for codewords once the function patterns are drawn.
    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCapacity(_ version: Int) -> Int {
        rawDataModules(version) / 8 - eccPerBlock[version - 1] * blocks[version - 1]
    }

    static func countBits(_ version: Int) -> Int { version <= 9 ? 8 : 16 }

    static func fits(_ count: Int, version: Int) -> Bool {
        4 + countBits(version) + count * 8 <= dataCapacity(version) * 8
    }

    /// Mode 0100 (byte), the count, the bytes, a terminator, then pad bytes 0xEC 0x11 alternately.
    static func dataCodewords(_ data: [UInt8], version: Int) -> [UInt8] {
        var bits: [Bool] = []
        func append(_ value: Int, _ count: Int) {
            for shift in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
        }
        append(0b0100, 4)
        append(data.count, countBits(version))
        for byte in data { append(Int(byte), 8) }
        let capacity = dataCapacity(version) * 8
        append(0, min(4, capacity - bits.count))
        append(0, (8 - bits.count % 8) % 8)
        var codewords = stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
        var pad: UInt8 = 0xEC
        while codewords.count < capacity / 8 {
            codewords.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        return codewords
    }

    /// Splits the data into the version's blocks, appends each block's Reed-Solomon codewords and
    /// interleaves them.
    static func interleavedWithErrorCorrection(_ data: [UInt8], _ version: Int) -> [UInt8] {
        let count = blocks[version - 1]
        let eccLength = eccPerBlock[version - 1]
        let raw = rawDataModules(version) / 8
        let shortBlocks = count - raw % count
        let shortLength = raw / count
        let divisor = ReedSolomon.divisor(degree: eccLength)
        var split: [[UInt8]] = []
        var offset = 0
        for index in 0..<count {
            let length = shortLength - eccLength + (index < shortBlocks ? 0 : 1)
            let chunk = Array(data[offset..<offset + length])
            offset += length
            var block = chunk + ReedSolomon.remainder(chunk, divisor: divisor)
            if index < shortBlocks { block.insert(0, at: length) }
            split.append(block)
        }
        var result: [UInt8] = []
        for position in 0..<split[0].count {
            for (index, block) in split.enumerated() where position != shortLength - eccLength || index >= shortBlocks {
                result.append(block[position])
            }
        }
        return result
    }

    // MARK: Drawing

    private mutating func set(_ x: Int, _ y: Int, _ dark: Bool) {
        modules[y * size + x] = dark
        isFunction[y * size + x] = true
    }

    private mutating func drawFunctionPatterns() {
        for index in 0..<size {
            set(6, index, index % 2 == 0)
            set(index, 6, index % 2 == 0)
        }
        for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 where (0..<size).contains(x + dx) && (0..<size).contains(y + dy) {
                    let distance = max(abs(dx), abs(dy))
                    set(x + dx, y + dy, distance != 2 && distance != 4)
                }
            }
        }
        let positions = alignmentPositions()
        for (i, x) in positions.enumerated() {
            for (j, y) in positions.enumerated() {
                let last = positions.count - 1
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                for dy in -2...2 {
                    for dx in -2...2 { set(x + dx, y + dy, max(abs(dx), abs(dy)) != 1) }
                }
            }
        }
        drawFormatBits(mask: 0)
        drawVersionBits()
    }

    private func alignmentPositions() -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2
        return [6] + (0..<count - 1).map { size - 7 - $0 * step }.reversed()
    }

    /// Level M (00) and the mask, BCH(15,5)-protected, masked with 0x5412, drawn twice.
    mutating func drawFormatBits(mask: Int) {
        let data = mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = (data << 10 | remainder) ^ 0x5412
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        for index in 0...5 { set(8, index, bit(index)) }
        set(8, 7, bit(6))
        set(8, 8, bit(7))
        set(7, 8, bit(8))
        for index in 9..<15 { set(14 - index, 8, bit(index)) }
        for index in 0..<8 { set(size - 1 - index, 8, bit(index)) }
        for index in 8..<15 { set(8, size - 15 + index, bit(index)) }
        set(8, size - 8, true)
    }

    private mutating func drawVersionBits() {
        guard version >= 7 else { return }
        var remainder = version
        for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
        let bits = version << 12 | remainder
        for index in 0..<18 {
            let dark = (bits >> index) & 1 == 1
            let a = size - 11 + index % 3
            let b = index / 3
            set(a, b, dark)
            set(b, a, dark)
        }
    }

    /// Codeword bits in the zigzag order, two columns at a time from the bottom right.
    private mutating func draw(codewords: [UInt8]) {
        var bit = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for column in 0..<2 {
                    let x = right - column
                    let upward = (right + 1) & 2 == 0
                    let y = upward ? size - 1 - vertical : vertical
                    if !isFunction[y * size + x], bit < codewords.count * 8 {
                        modules[y * size + x] = (codewords[bit >> 3] >> (7 - UInt8(bit & 7))) & 1 == 1
                        bit += 1
                    }
                }
            }
            right -= 2
        }
    }

    private func masked(_ pattern: Int) -> QRCode {
        var copy = self
        copy.apply(mask: pattern)
        copy.drawFormatBits(mask: pattern)
        copy.mask = pattern
        return copy
    }

    private mutating func apply(mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y * size + x] {
                let invert: Bool
                switch mask {
                case 0: invert = (x + y) % 2 == 0
                case 1: invert = y % 2 == 0
                case 2: invert = x % 3 == 0
                case 3: invert = (x + y) % 3 == 0
                case 4: invert = (x / 3 + y / 2) % 2 == 0
                case 5: invert = x * y % 2 + x * y % 3 == 0
                case 6: invert = (x * y % 2 + x * y % 3) % 2 == 0
                default: invert = ((x + y) % 2 + x * y % 3) % 2 == 0
                }
                if invert { modules[y * size + x].toggle() }
            }
        }
    }

    // MARK: Mask penalty (the standard's four rules)

    func penalty() -> Int {
        var result = 0
        let lines: [[Bool]] =
            (0..<size).map { y in (0..<size).map { x in self[x, y] } }
            + (0..<size).map { x in (0..<size).map { y in self[x, y] } }
        let finderLike: [Bool] = [true, false, true, true, true, false, true, false, false, false, false]
        for line in lines {
            var run = 1
            for index in 1...line.count {
                if index < line.count, line[index] == line[index - 1] {
                    run += 1
                } else {
                    if run >= 5 { result += 3 + run - 5 }
                    run = 1
                }
            }
            for start in 0...(line.count - 11) {
                let window = Array(line[start..<start + 11])
                if window == finderLike || window == finderLike.reversed() { result += 40 }
            }
        }
        for y in 0..<size - 1 {
            for x in 0..<size - 1 {
                let color = self[x, y]
                if color == self[x + 1, y], color == self[x, y + 1], color == self[x + 1, y + 1] { result += 3 }
            }
        }
        let dark = modules.filter { $0 }.count
        let total = size * size
        result += ((abs(dark * 20 - total * 10) + total - 1) / total - 1) * 10
        return result
    }
}

/// Reed-Solomon error correction over GF(2^8) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z: Int = 0
        for shift in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> shift) & 1) * Int(x)
        }
        return UInt8(z)
    }

    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                result[index] = multiply(result[index], root)
                if index + 1 < degree { result[index] ^= result[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for index in result.indices { result[index] ^= multiply(divisor[index], factor) }
        }
        return result
    }
}
