import Foundation
import Testing

/// Small command-line items of the operator's audit (report #14): help texts that say what the
/// command does, and an exit status a script can trust.
@Suite struct CommandHelpTests {
    static var binary: String { CommandLineTests.binary.path }

    @Test("keys retire --help lists its own --version option and not the root's 'Show the version.', and takes it; guichet --version still prints the version", .storeFree)
    func versionFlagOnce() async throws {
        let help = try await Child.run(Self.binary, ["keys", "retire", "--help"], timeout: 60)
        #expect(help.status == 0 && help.stdout.contains("--version <version>"), "\(help.output)")
        #expect(!help.stdout.contains("Show the version."), "\(help.stdout)")
        let taken = try await Child.run(Self.binary, ["keys", "retire", "--data", "/nonexistent-never-created", "--version", "1"], timeout: 60)
        #expect(taken.status != 0 && taken.stderr.contains("no registry in") && !taken.stdout.contains("guichet 0."), "\(taken.output)")
        let root = try await Child.run(Self.binary, ["--help"], timeout: 60)
        #expect(root.status == 0 && root.stdout.contains("guichet --version prints the version"), "\(root.output)")
        let version = try await Child.run(Self.binary, ["--version"], timeout: 60)
        #expect(version.status == 0 && version.stdout.hasPrefix("guichet 0."), "\(version.output)")
        let bare = try await Child.run(Self.binary, [], timeout: 60)
        #expect(bare.status == 0 && bare.stdout.contains("SUBCOMMANDS"), "\(bare.output)")
    }

    @Test("--data: the commands that read GUICHET_DATA name it and their default; the others show their default", .storeFree)
    func dataDefaults() async throws {
        for command in [["serve"], ["backup"], ["restore"], ["store", "grant"]] {
            let help = try await Child.run(Self.binary, command + ["--help"], timeout: 60)
            let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(text.contains("(env GUICHET_DATA; default guichet-data)"), "\(command): \(help.stdout)")
        }
        for command in [["init"], ["import"], ["retention", "run"]] {
            let help = try await Child.run(Self.binary, command + ["--help"], timeout: 60)
            let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(text.contains("(default: guichet-data)") && !text.contains("GUICHET_DATA"), "\(command): \(help.stdout)")
        }
    }
}
