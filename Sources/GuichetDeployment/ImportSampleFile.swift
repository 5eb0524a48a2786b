import Foundation
import GuichetSynth

/// `guichet import --write-sample`: a profile's fictional export (``ImportSample``), written for
/// an operator to try an import before the real file (an operator's audit: only a benchmark's
/// binary wrote one).
public enum ImportSampleFile {
    /// The profiles that have a sample.
    public static var profiles: [String] { ImportSample.profiles }

    /// The organisations the sample's lines name, by kind.
    public static func organisations(_ profile: String) -> [String: [String]] { ImportSample.organisations(profile) }

    /// Writes `lines` lines of `profile`'s sample to `path`; the persons they hold.
    public static func write(profile: String, lines: Int, to path: String) throws -> Int {
        try ImportSample.write(profile: profile, lines: lines, to: path)
    }
}
