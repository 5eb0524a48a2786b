import Foundation
import Testing
import GuichetImport

/// What `guichet import` prints, computed in-process: the progress line, its bar, the time left.
@Suite struct ImportReportTests {
    static func progress(bytes: UInt64, start: UInt64 = 0, lines: Int, seconds: Double) -> ImportProgress {
        ImportProgress(phase: .importing, bytes: bytes, totalBytes: 1_000, startBytes: start, lines: lines,
                       dossiers: lines, persons: 2 * lines, skipped: 3, seconds: seconds)
    }

    @Test("the progress line gives the share of the file, the rate and the time left; a resumed import counts from where it began")
    func progressLine() {
        #expect(ImportReport.text(Self.progress(bytes: 250, lines: 4_000, seconds: 10))
                == "importing 25%: 4000 lines, 400 lines/s, 30s left, 3 bad")
        #expect(ImportReport.text(Self.progress(bytes: 600, start: 200, lines: 100, seconds: 100), prefix: false)
                == "50%: 100 lines, 1 lines/s, 1m40s left, 3 bad")
        #expect(ImportReport.bar(Self.progress(bytes: 500, lines: 1, seconds: 1)).hasPrefix("importing [############------------] 50%"))
        #expect(ImportReport.duration(7_322) == "2h02m")
    }
}
