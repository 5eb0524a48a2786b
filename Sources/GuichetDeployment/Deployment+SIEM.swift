import Foundation
public import GuichetServer

extension Deployment {
    /// The SIEM exports `guichet.yaml` or the environment asks for: JSON lines to a file
    /// (`siemFile`, `GUICHET_SIEM_FILE`), RFC 5424 syslog over TCP (`siemSyslog: host:port`,
    /// `GUICHET_SIEM_SYSLOG`). One server keeps each export's cursor in the data folder; several
    /// servers on PostgreSQL keep it in the database, and only the elected one exports, so
    /// that the SIEM receives the ledger once (docs/SCALING.md).
    /// - Throws: ``DeploymentError`` for a syslog target that is not `HOST:PORT`.
    public func siemExporters(_ settings: Settings, server: GuichetServer) throws -> [SIEMExporter] {
        let env = ProcessInfo.processInfo.environment
        func exporter(_ sink: any SIEMSink, _ name: String) -> SIEMExporter {
            if let shared = server.siemCursors {
                return SIEMExporter(store: server.store, sink: sink, cursor: .shared(shared, name: name), signing: server.checkpointSigning)
            }
            return SIEMExporter(store: server.store, sink: sink, cursor: .file(folder.appendingPathComponent("\(name).cursor").path))
        }
        var out: [SIEMExporter] = []
        if let file = env["GUICHET_SIEM_FILE"] ?? settings.siemFile {
            out.append(exporter(JSONLinesFileSink(path: file), "siem-file"))
        }
        if let target = env["GUICHET_SIEM_SYSLOG"] ?? settings.siemSyslog {
            guard let colon = target.lastIndex(of: ":"), let port = Int(target[target.index(after: colon)...]), (1...65535).contains(port) else {
                throw DeploymentError("siemSyslog must be HOST:PORT (a syslog collector accepting RFC 5424 over TCP)")
            }
            let host = String(target[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            out.append(exporter(SyslogTCPSink(host: host, port: port), "siem-syslog"))
        }
        return out
    }
}
