import Foundation
import Testing

/// The byte search that the at-rest scans use (`Data.bytesRange`): a scan that found nothing
/// because its search was broken would pass every "nothing in clear" test.
@Suite struct BytesTests {
    @Test("finds a needle at the start, in the middle, at the end and after an offset; not one that is absent or cut off")
    func search() {
        let hay = Data("abc-needle-xyz-needle".utf8)
        #expect(hay.bytesRange(of: Data("abc".utf8)) == 0..<3)
        #expect(hay.bytesRange(of: Data("needle".utf8)) == 4..<10)
        #expect(hay.bytesRange(of: Data("needle".utf8), from: 5) == 15..<21)
        #expect(hay.bytesRange(of: Data("needles".utf8)) == nil)
        #expect(hay.bytesRange(of: Data("z".utf8), from: 21) == nil)
        #expect(!hay.containsBytes(Data("absent".utf8)) && hay.containsBytes(Data("-xyz-".utf8)))
        // A slice keeps its own indices.
        let slice = hay[4...]
        #expect(slice.bytesRange(of: Data("xyz".utf8)) == 11..<14)
        #expect(Data().bytesRange(of: Data("a".utf8)) == nil)
    }
}

extension BytesTests {
    @Test("the bytes of a PostgreSQL dump's BYTEA values are decoded from their hexadecimal, in COPY's escaped form or not")
    func byteaContents() {
        let dump = Data("1\t\\\\x4142ff\ttext \\x41 4\n2\t\\\\x\t\\\\x0a1B\n".utf8)
        #expect(TestDatabase.byteaContents(dump) == Data([0x41, 0x42, 0xff, 0, 0x41, 0, 0, 0x0a, 0x1b, 0]))
        #expect(TestDatabase.byteaContents(Data("no value here".utf8)).isEmpty)
    }
}
