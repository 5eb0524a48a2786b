import Foundation

/// One record of a CSV file.
public struct CSVRecord: Sendable, Equatable {
    /// The line of the file where the record begins (from 1; a quoted cell may span lines).
    public let line: Int
    public let fields: [String]
    /// The byte offset just after the record (where reading resumes).
    public let endOffset: UInt64
    /// The line where the next record begins.
    public let nextLine: Int
    /// Why the record is malformed (a stray quote, a cell that is not UTF-8), if it is; it
    /// names no cell's content.
    public let problem: String?
}

/// What stops reading a CSV file altogether.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let message: String
    public init(line: Int, message: String) { self.line = line; self.message = message }
    public var description: String { "line \(line): \(message)" }
}

/// A streaming RFC 4180 reader: quoted cells (with `""` for a quote, delimiters and line
/// breaks inside), CRLF or LF line ends, a UTF-8 byte-order mark at the start, blank lines
/// skipped. It holds one chunk of the file and one record at a time, so its memory does not
/// grow with the file; it can start at a record boundary it reported before (resuming).
/// Not thread-safe: one reader per task.
public final class CSVReader {
    private let handle: FileHandle
    private let delimiter: UInt8
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    /// Offset of `buffer[0]` in the file.
    private var bufferOffset: UInt64
    private var line: Int
    /// The size of the file when opened.
    public let size: UInt64

    /// - Parameters:
    ///   - offset: a record boundary (0, or an `endOffset` this reader reported).
    ///   - line: the line number at `offset`.
    /// - Throws: when the file cannot be opened or read.
    public init(path: String, delimiter: UInt8 = UInt8(ascii: ","), offset: UInt64 = 0, line: Int = 1, chunkSize: Int = 1 << 16) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CSVError(line: 0, message: "cannot open the file") }
        self.handle = handle
        self.delimiter = delimiter
        self.chunkSize = chunkSize
        self.size = try handle.seekToEnd()
        try handle.seek(toOffset: offset)
        self.bufferOffset = offset
        self.line = line
        if offset == 0 {
            while buffer.count < 3 && !atEnd { try fill() }
            if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        }
    }

    deinit { try? handle.close() }

    /// Bytes consumed so far (for progress).
    public var offset: UInt64 { bufferOffset + UInt64(position) }

    private func fill() throws {
        guard !atEnd else { return }
        if position > 0 {
            buffer.removeFirst(position)
            bufferOffset += UInt64(position)
            position = 0
        }
        let data = try handle.read(upToCount: chunkSize) ?? Data()
        if data.isEmpty { atEnd = true } else { buffer.append(contentsOf: data) }
    }

    /// The next byte, reading more of the file when needed; nil at the end.
    @inline(__always) private func nextByte() throws -> UInt8? {
        if position == buffer.count {
            try fill()
            if position == buffer.count { return nil }
        }
        let b = buffer[position]
        position += 1
        return b
    }

    /// The next record, or nil at the end of the file.
    /// - Throws: ``CSVError`` when a quoted cell is still open at the end of the file.
    public func next() throws -> CSVRecord? {
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        while true {
            let start = line
            var fields: [String] = []
            var cell: [UInt8] = []
            var quoted = false, closed = false, any = false
            var problem: String?
            func endCell() {
                if let s = String(validating: cell, as: UTF8.self) { fields.append(s) } else {
                    fields.append("")
                    problem = problem ?? "cell \(fields.count) is not UTF-8 text"
                }
                cell.removeAll(keepingCapacity: true)
                quoted = false; closed = false
            }
            record: while true {
                guard let b = try nextByte() else {
                    if quoted && !closed { throw CSVError(line: start, message: "a quoted cell is not closed before the end of the file") }
                    if !any && fields.isEmpty { return nil }
                    endCell()
                    break record
                }
                any = true
                if quoted && !closed {
                    if b == quote {
                        if position == buffer.count { try fill() }
                        if position < buffer.count, buffer[position] == quote { cell.append(quote); position += 1 } else { closed = true }
                    } else {
                        if b == lf || (b == cr) { line += 1 }
                        if b == cr, position == buffer.count { try fill() }
                        if b == cr, position < buffer.count, buffer[position] == lf { cell.append(cr); cell.append(lf); position += 1; continue }
                        cell.append(b)
                    }
                    continue
                }
                switch b {
                case delimiter: endCell()
                case lf, cr:
                    line += 1
                    if b == cr {
                        if position == buffer.count { try fill() }
                        if position < buffer.count, buffer[position] == lf { position += 1 }
                    }
                    endCell()
                    break record
                case quote:
                    if cell.isEmpty && !closed { quoted = true } else {
                        problem = problem ?? "a quote inside cell \(fields.count + 1) that does not begin with one"
                    }
                default:
                    if closed { problem = problem ?? "text after the closing quote of cell \(fields.count + 1)" } else { cell.append(b) }
                }
            }
            // A blank line is no record.
            if fields.count == 1, fields[0].isEmpty, problem == nil { continue }
            return CSVRecord(line: start, fields: fields, endOffset: offset, nextLine: line, problem: problem)
        }
    }
}
