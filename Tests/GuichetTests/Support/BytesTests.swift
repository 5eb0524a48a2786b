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
