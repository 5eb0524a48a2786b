import Foundation
import Testing
import GuichetCore
import GuichetProfile
import GuichetSynth

/// Import mapping files, checked against their profile before any line is read.
@Suite struct MappingLoaderTests {
    func profile(_ name: String) throws -> Profile {
        try ProfileLoader.load(path: Repo.root.appendingPathComponent("profiles/\(name)").path)
    }

    @Test("each reference profile's sample mapping loads and names every column of its sample export", arguments: ImportSample.profiles)
    func samplesLoad(name: String) throws {
        let p = try profile(name)
        let m = try MappingLoader.load(path: Repo.root.appendingPathComponent("profiles/\(name)/import-mapping.yaml").path, profile: p)
        #expect(p.dossierTypes[m.dossierType] != nil)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sample-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try ImportSample.write(profile: name, lines: 1, to: url.path)
        let header = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\r\n")[0].components(separatedBy: ",")
        #expect(header == m.columns.map(\.header))
    }

    func refusal(_ yaml: String, profile name: String = "place05") throws -> String {
        do {
            _ = try MappingLoader.parse(yaml: yaml, file: "m.yaml", profile: try profile(name))
            return ""
        } catch let e as ProfileError { return e.description }
    }

    static let base = """
        dossier: application
        columns:
          DEMANDE: dossier.createdAt
          PRENOM: child.firstName
          NOM: child.lastName
          NAISSANCE: child.birthDate
          P_PRENOM: parent.firstName
          P_NOM: parent.lastName
          P_NAISSANCE: parent.birthDate
          DEBUT: desiredStart
          JOURS: daysPerWeek
          SERVICE: dossier.partner
        """

    @Test("a minimal mapping with every required field loads")
    func minimal() throws {
        #expect(try refusal(Self.base) == "")
    }

    @Test("a mapping is refused with file, line and key when it names an unknown field, role or person number")
    func unknownTargets() throws {
        #expect(try refusal(Self.base + "\n  X: child.shoeSize").hasPrefix("m.yaml:13:6: columns.X: unknown person field 'shoeSize'"))
        #expect(try refusal(Self.base + "\n  X: uncle.lastName").contains("columns.X: unknown person role 'uncle'"))
        #expect(try refusal(Self.base + "\n  X: parent[3].lastName").contains("links at most 2 'parent'"))
        #expect(try refusal(Self.base + "\n  X: colour").contains("columns.X: unknown target 'colour'"))
        #expect(try refusal(Self.base + "\n  X: offeredBy").contains("is set by the workflow, not imported"))
    }

    @Test("a mapping is refused when a required field has no column, or a field has two")
    func requiredAndDuplicates() throws {
        #expect(try refusal(Self.base.replacingOccurrences(of: "  JOURS: daysPerWeek\n", with: ""))
            .contains("the required field 'daysPerWeek' has no column"))
        #expect(try refusal(Self.base + "\n  P2_NOM: parent[2].lastName").contains("the required field 'parent[2].firstName' has no column"))
        #expect(try refusal(Self.base + "\n  AUTRE_NOM: child.lastName").contains("'child.lastName' already has a column"))
        #expect(try refusal(Self.base.replacingOccurrences(of: "  SERVICE: dossier.partner", with: "  SERVICE: ignore"))
            .contains("needs at least 1 partner"))
    }

    @Test("a mapping written for another profile is refused")
    func otherProfile() throws {
        #expect(try refusal("profile: emploi\n" + Self.base).contains("this mapping is for profile 'emploi', not 'place05'"))
    }
}
