import Foundation
import Testing
import GuichetImport

/// The streaming RFC 4180 reader of `guichet import`.
@Suite struct CSVReaderTests {
    /// Writes bytes to a temporary file and reads every record (with the chunk size given).
    func records(_ bytes: [UInt8], chunk: Int = 1 << 16, delimiter: UInt8 = UInt8(ascii: ",")) throws -> [CSVRecord] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let reader = try CSVReader(path: url.path, delimiter: delimiter, chunkSize: chunk)
        var out: [CSVRecord] = []
        while let r = try reader.next() { out.append(r) }
        return out
    }

    func records(_ text: String, chunk: Int = 1 << 16) throws -> [CSVRecord] { try records(Array(text.utf8), chunk: chunk) }

    static let tricky = "\u{FEFF}NOM,ADRESSE,NOTE\r\n"
        + "Roy,\"12 rue des Érables, Québec\",\"il a dit \"\"oui\"\"\"\r\n"
        + "\"Côté\",\"ligne un\nligne deux\",\r\n"
        + "\r\n"
        + "Tremblay,\"a\r\nb\",\"\"\n"
        + "Gagnon,,fin"

    @Test("quoted cells keep their commas, doubled quotes and line breaks; a BOM, CRLF, LF and a blank line are handled")
    func rfc4180() throws {
        let r = try records(Self.tricky)
        #expect(r.map(\.fields) == [["NOM", "ADRESSE", "NOTE"],
                                    ["Roy", "12 rue des Érables, Québec", "il a dit \"oui\""],
                                    ["Côté", "ligne un\nligne deux", ""],
                                    ["Tremblay", "a\r\nb", ""],
                                    ["Gagnon", "", "fin"]])
        #expect(r.map(\.line) == [1, 2, 3, 6, 8], "a record's line is where it begins, line breaks inside quotes counted")
        #expect(r.allSatisfy { $0.problem == nil })
    }

    @Test("records are the same whatever the chunk size (a quote, CR or LF split between two reads)", arguments: [1, 2, 3, 5, 7, 64])
    func chunkBoundaries(chunk: Int) throws {
        #expect(try records(Self.tricky, chunk: chunk) == (try records(Self.tricky)))
    }

    @Test("reading resumes at a reported record boundary with the same records and lines")
    func resumes() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv")
        try Data(Self.tricky.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let all = try records(Self.tricky)
        for i in all.indices.dropLast() {
            let reader = try CSVReader(path: url.path, offset: all[i].endOffset, line: all[i].nextLine)
            var rest: [CSVRecord] = []
            while let r = try reader.next() { rest.append(r) }
            #expect(rest.map(\.fields) == all[(i + 1)...].map(\.fields))
            #expect(rest.map(\.line) == all[(i + 1)...].map(\.line))
        }
    }

    @Test("a quote inside an unquoted cell, or text after a closing quote, marks the record without stopping the file")
    func strayQuotes() throws {
        let r = try records("a,b\nx\"y,z\n\"p\"q,r\nok,ok\n")
        #expect(r.count == 4)
        #expect(r[1].problem?.contains("cell 1") == true)
        #expect(r[2].problem?.contains("cell 1") == true)
        #expect(r[3].problem == nil && r[3].fields == ["ok", "ok"])
        #expect(r[1].problem?.contains("x") == false, "a problem never quotes the cell")
    }

    @Test("a cell that is not UTF-8 marks its record")
    func notUTF8() throws {
        let r = try records(Array("a,b\n".utf8) + [0xC3, 0x28] + Array(",z\n".utf8))
        #expect(r[1].problem == "cell 1 is not UTF-8 text")
    }

    @Test("a quoted cell still open at the end of the file stops reading, naming the line where it began")
    func unclosedQuote() throws {
        #expect(throws: CSVError(line: 2, message: "a quoted cell is not closed before the end of the file")) {
            try records("a,b\n\"open,\nmore\n")
        }
    }

    @Test("another delimiter (a semicolon) splits cells; commas are then plain text")
    func semicolon() throws {
        let r = try records(Array("a;b\n1,5;\"x;y\"\n".utf8), delimiter: UInt8(ascii: ";"))
        #expect(r.map(\.fields) == [["a", "b"], ["1,5", "x;y"]])
    }
}
