/// A QR code (ISO/IEC 18004) of some bytes, for an SVG drawing: the account page shows an
/// authenticator app's `otpauth://` address as one, to scan instead of typing a 32-letter
/// secret (a co-operative's audit: every new staff member typed it). Byte mode, error
/// correction level M, versions 1 to 10 (up to 213 bytes; an `otpauth://` address is about 120).
/// Written after Project Nayuki's reference implementation (MIT); `QRCodeTests` has a real
/// decoder (zbar) read what it draws.
struct QRCode {
    /// The modules, row by row (`true`: dark), without the quiet zone.
    let modules: [[Bool]]
    let version: Int
    var size: Int { modules.count }

    /// Total codewords, error-correction codewords per block and blocks, level M, versions 1-10.
    static let rawCodewords = [26, 44, 70, 100, 134, 172, 196, 242, 292, 346]
    static let eccPerBlock = [10, 16, 26, 18, 24, 16, 18, 22, 22, 26]
    static let blocks = [1, 1, 1, 2, 2, 4, 4, 4, 5, 5]

    /// The code of `bytes`, in the smallest version that holds them; nil past version 10.
    init?(bytes: [UInt8]) {
        guard let version = (1...10).first(where: { v in
            let count = v < 10 ? 8 : 16
            return 4 + count + bytes.count * 8 <= Self.dataCodewords(v) * 8 && bytes.count < (1 << count)
        }) else { return nil }
        self.version = version
        // The bit stream: byte mode, the count, the bytes, a terminator, padding.
        var bits: [Bool] = []
        func append(_ value: Int, _ length: Int) { for i in (0..<length).reversed() { bits.append((value >> i) & 1 == 1) } }
        append(0b0100, 4)
        append(bytes.count, version < 10 ? 8 : 16)
        for b in bytes { append(Int(b), 8) }
        let capacity = Self.dataCodewords(version) * 8
        append(0, min(4, capacity - bits.count))
        append(0, (8 - bits.count % 8) % 8)
        var pad = 0xEC
        while bits.count < capacity { append(pad, 8); pad ^= 0xEC ^ 0x11 }
        var data: [UInt8] = []
        for i in stride(from: 0, to: bits.count, by: 8) {
            data.append(bits[i..<i + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) })
        }
        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        grid.drawCodewords(Self.withErrorCorrection(data, version: version))
        // The mask with the lowest penalty, as the standard asks.
        var best = (mask: 0, penalty: Int.max)
        for mask in 0..<8 {
            grid.apply(mask: mask)
            grid.drawFormatBits(mask: mask)
            let p = grid.penalty()
            if p < best.penalty { best = (mask, p) }
            grid.apply(mask: mask)  // undone: XOR
        }
        grid.apply(mask: best.mask)
        grid.drawFormatBits(mask: best.mask)
        modules = grid.modules
    }

    static func dataCodewords(_ version: Int) -> Int {
        rawCodewords[version - 1] - eccPerBlock[version - 1] * blocks[version - 1]
    }

    /// The data split in blocks, each with its Reed-Solomon codewords, interleaved.
    static func withErrorCorrection(_ data: [UInt8], version: Int) -> [UInt8] {
        let numBlocks = blocks[version - 1], ecc = eccPerBlock[version - 1], raw = rawCodewords[version - 1]
        let shortBlocks = numBlocks - raw % numBlocks, shortLength = raw / numBlocks
        let divisor = ReedSolomon.divisor(degree: ecc)
        var out: [[UInt8]] = []
        var k = 0
        for i in 0..<numBlocks {
            var block = Array(data[k..<k + shortLength - ecc + (i < shortBlocks ? 0 : 1)])
            k += block.count
            let remainder = ReedSolomon.remainder(block, divisor)
            if i < shortBlocks { block.append(0) }
            out.append(block + remainder)
        }
        var result: [UInt8] = []
        for i in 0..<out[0].count {
            for (j, block) in out.enumerated() where i != shortLength - ecc || j >= shortBlocks { result.append(block[i]) }
        }
        return result
    }

    /// The side of the drawing in modules, with a quiet zone of four on each side.
    var extent: Int { size + 8 }

    /// The dark modules as one SVG path of unit squares, offset by the quiet zone (the page's
    /// template draws the `<svg>` around it: templates take no unescaped markup).
    var pathData: String {
        var path = ""
        for (y, row) in modules.enumerated() {
            for (x, dark) in row.enumerated() where dark { path += "M\(x + 4) \(y + 4)h1v1h-1z" }
        }
        return path
    }

    /// The matrix being drawn, with which modules are function patterns.
    struct Grid {
        let version: Int
        let size: Int
        var modules: [[Bool]]
        var function: [[Bool]]

        init(version: Int) {
            self.version = version
            size = version * 4 + 17
            modules = Array(repeating: Array(repeating: false, count: size), count: size)
            function = modules
        }

        mutating func set(_ x: Int, _ y: Int, _ dark: Bool) { modules[y][x] = dark; function[y][x] = true }

        mutating func drawFunctionPatterns() {
            for i in 0..<size { set(6, i, i % 2 == 0); set(i, 6, i % 2 == 0) }
            for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 where (0..<size).contains(x + dx) && (0..<size).contains(y + dy) {
                        let d = max(abs(dx), abs(dy))
                        set(x + dx, y + dy, d != 2 && d != 4)
                    }
                }
            }
            let positions = alignmentPositions()
            let last = positions.count - 1
            for i in positions.indices {
                for j in positions.indices where !(i == 0 && j == 0) && !(i == 0 && j == last) && !(i == last && j == 0) {
                    for dy in -2...2 { for dx in -2...2 { set(positions[i] + dx, positions[j] + dy, max(abs(dx), abs(dy)) != 1) } }
                }
            }
            drawFormatBits(mask: 0)  // reserved; drawn again with the mask chosen
            if version >= 7 {
                var rem = version
                for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
                let bits = version << 12 | rem
                for i in 0..<18 {
                    let bit = (bits >> i) & 1 == 1, a = size - 11 + i % 3, b = i / 3
                    set(a, b, bit); set(b, a, bit)
                }
            }
        }

        func alignmentPositions() -> [Int] {
            guard version > 1 else { return [] }
            let count = version / 7 + 2
            let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2
            var result = [6]
            var position = size - 7
            for _ in 0..<(count - 1) { result.insert(position, at: 1); position -= step }
            return result
        }

        /// The 15 format bits (level M is 00) in both copies, and the dark module.
        mutating func drawFormatBits(mask: Int) {
            let data = 0 << 3 | mask
            var rem = data
            for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
            let bits = (data << 10 | rem) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            for i in 0...5 { set(8, i, bit(i)) }
            set(8, 7, bit(6)); set(8, 8, bit(7)); set(7, 8, bit(8))
            for i in 9..<15 { set(14 - i, 8, bit(i)) }
            for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
            set(8, size - 8, true)
        }

        /// The codewords in the zigzag order, two columns at a time from the right.
        mutating func drawCodewords(_ data: [UInt8]) {
            var i = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vertical in 0..<size {
                    for j in 0..<2 {
                        let x = right - j
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vertical : vertical
                        if !function[y][x] && i < data.count * 8 {
                            modules[y][x] = (data[i >> 3] >> (7 - (i & 7))) & 1 == 1
                            i += 1
                        }
                    }
                }
                right -= 2
            }
        }

        mutating func apply(mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !function[y][x] {
                    let flip: Bool
                    switch mask {
                    case 0: flip = (x + y) % 2 == 0
                    case 1: flip = y % 2 == 0
                    case 2: flip = x % 3 == 0
                    case 3: flip = (x + y) % 3 == 0
                    case 4: flip = (x / 3 + y / 2) % 2 == 0
                    case 5: flip = x * y % 2 + x * y % 3 == 0
                    case 6: flip = (x * y % 2 + x * y % 3) % 2 == 0
                    default: flip = ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                    if flip { modules[y][x].toggle() }
                }
            }
        }

        /// The standard's penalty: runs of five or more, 2×2 blocks, finder-like patterns,
        /// and the distance of the dark share from half.
        func penalty() -> Int {
            var score = 0
            let finderLike: [[Bool]] = [[true, false, true, true, true, false, true, false, false, false, false],
                                        [false, false, false, false, true, false, true, true, true, false, true]]
            for line in lines() {
                var run = 1
                for i in 1...line.count {
                    if i < line.count && line[i] == line[i - 1] { run += 1; continue }
                    if run >= 5 { score += 3 + run - 5 }
                    run = 1
                }
                if line.count >= 11 {
                    for start in 0...(line.count - 11) where finderLike.contains(where: { Array(line[start..<start + 11]) == $0 }) { score += 40 }
                }
            }
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let c = modules[y][x]
                    if c == modules[y][x + 1] && c == modules[y + 1][x] && c == modules[y + 1][x + 1] { score += 3 }
                }
            }
            let dark = modules.reduce(0) { $0 + $1.filter { $0 }.count }, total = size * size
            score += max(0, (abs(dark * 20 - total * 10) + total - 1) / total - 1) * 10
            return score
        }

        /// The rows, then the columns.
        func lines() -> [[Bool]] {
            modules + (0..<size).map { x in modules.map { $0[x] } }
        }
    }
}

/// Reed-Solomon over GF(2^8) with the polynomial 0x11D, as QR codes use.
enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for i in (0...7).reversed() {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> i) & 1) * Int(x)
        }
        return UInt8(z)
    }

    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], _ divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for b in data {
            let factor = b ^ result.removeFirst()
            result.append(0)
            for i in result.indices { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }
}
