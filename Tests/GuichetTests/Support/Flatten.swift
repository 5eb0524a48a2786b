import GuichetCore

/// Every field path a view reveals: `desiredStart`, `partners`, `child.firstName`...
func paths(_ v: DossierView) -> Set<String> {
    var out = Set(v.fields.keys)
    if v.partners != nil { out.insert("partners") }
    for p in v.persons { for k in p.fields.keys { out.insert("\(p.role).\(k)") } }
    return out
}
