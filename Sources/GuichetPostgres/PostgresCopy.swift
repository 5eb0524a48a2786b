import Foundation
import Logging
import PostgresNIO

/// How a batch of imported rows reaches PostgreSQL's tables (issue 19, "bulk import with COPY").
/// Both write the same rows (`PostgresBulkImportTests`); the benchmark imports each file both
/// ways in one run. On 2 December COPY was the slower, 0.81-0.91 of the arrays' rate from
/// 10 k to 1 M persons (docs/BENCHMARKS.md, "Bulk import with COPY"), so the arrays are the
/// default.
public enum PostgresBulkWrites: String, Sendable, CaseIterable {
    /// Each table's rows as one `INSERT … SELECT FROM unnest(arrays)` statement, the arrays in
    /// PostgreSQL's binary format: the default.
    case arrays
    /// Each table's rows streamed by `COPY … FROM STDIN` in the text format (postgres-nio
    /// offers no other): BYTEA travels as hexadecimal, twice its size, and is parsed back.
    case copy
}

/// Rows in the text format of PostgreSQL's `COPY` (tab between columns, a new line after each
/// row, `\N` for NULL, backslash escapes), written into one buffer that ``send(_:table:columns:)``
/// streams. Every value is escaped, so no value can end a column or a row early.
struct CopyRows {
    private(set) var buffer = ByteBuffer()
    private(set) var count = 0
    private var columnsInRow = 0

    /// A text value (`nil`: NULL).
    mutating func text(_ value: String?) {
        separate()
        guard let value else { buffer.writeStaticString("\\N"); return }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    /// An integer value.
    mutating func int(_ value: some BinaryInteger) {
        separate()
        buffer.writeString(String(value))
    }

    /// A BYTEA value, in bytea's hexadecimal input (`\x…`, its backslash escaped for COPY).
    mutating func bytes(_ value: some Sequence<UInt8>) {
        separate()
        buffer.writeStaticString("\\\\x")
        for byte in value {
            buffer.writeInteger(Self.hex[Int(byte >> 4)])
            buffer.writeInteger(Self.hex[Int(byte & 0x0F)])
        }
    }

    /// Ends the current row.
    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        columnsInRow = 0
        count += 1
    }

    private mutating func separate() {
        if columnsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        columnsInRow += 1
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Streams the rows into `table` (nothing when there are none), in the caller's transaction.
    func send(_ c: PostgresConnection, table: String, columns: [String], logger: Logger) async throws {
        guard count > 0 else { return }
        let buffer = self.buffer
        try await c.copyFrom(table: table, columns: columns, logger: logger) { writer in
            // In slices of 1 MiB, so that no CopyData message is larger.
            var rest = buffer
            while rest.readableBytes > 0, let slice = rest.readSlice(length: min(rest.readableBytes, 1 << 20)) {
                try await writer.write(slice)
            }
        }
    }
}
