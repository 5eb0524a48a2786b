public import GuichetCore
@_spi(VaultOnly) public import GuichetStore

extension Vault {
    /// The values of some public fields of a dossier, read from their clear entries without
    /// any key (ranking and capacity counts over thousands of dossiers). A name that is not a
    /// public field of the type yields nothing, even if present.
    /// - Throws: ``VaultError/integrity`` when the stored map does not decode.
    @_spi(GateOnly)
    public func publicValues(_ sealed: SealedFields, names: Set<String>, dossierType: String) throws -> [String: FieldValue] {
        let specs = specs(dossierType: dossierType)
        var out: [String: FieldValue] = [:]
        for e in try SealedCodec.decode(sealed.bytes) where !e.encrypted && names.contains(e.name) {
            guard let s = spec(e.name, specs), s.classification == .public else { continue }
            out[e.name] = try ValueCodec.decode(e.payload, type: s.type)
        }
        return out
    }
}
