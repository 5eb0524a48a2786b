// Static French vocabulary for the synthetic job-seeker registry (R4). Every identifier made
// here belongs to nobody: NIRs have a valid key but random digits, phone numbers are in the
// ranges ARCEP reserves for fiction (01 99 00 xx xx, 06 39 98 xx xx), e-mail addresses use
// the RFC 2606 example domains.

import Foundation

/// Common French given names and surnames.
public enum FrenchNames {
    public static let female = ["Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sandrine", "Céline", "Aurélie", "Julie",
                                "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Laura", "Pauline", "Amandine",
                                "Fatima", "Nadia", "Sophie", "Élodie", "Audrey", "Claire", "Anaïs", "Mélanie", "Lucie"]
    public static let male = ["Jean", "Philippe", "Nicolas", "Christophe", "Stéphane", "Sébastien", "Julien", "Thomas", "Kevin",
                              "Alexandre", "Lucas", "Hugo", "Maxime", "Antoine", "Mohamed", "Karim", "Romain", "Quentin",
                              "Mathieu", "Pierre", "David", "Olivier", "Yann", "Florian", "Jérôme", "Laurent", "Théo", "Rayan"]
    public static let last = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
                              "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
                              "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre", "Faure",
                              "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
                              "Gauthier", "Garcia", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel",
                              "Mathieu", "Gautier", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire",
                              "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas",
                              "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt",
                              "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine",
                              "Benali", "Haddad", "Nguyen", "Diallo", "Traoré", "Da Silva", "Ferreira", "Kaya", "Cohen"]
    /// Surnames that no real generated person carries, reserved for honeytoken files (so that
    /// no name search of real work returns one). Every surname of ``last`` has at least one
    /// here of the same lengths (UTF-8 bytes, letters, and e-mail slug); a test checks it.
    public static let reservedLast = ["Bah", "Rey", "Huet", "Koné", "Pons", "Rémy", "Camus", "Carré", "Hamon", "Hervé", "Lenoir",
                                      "Bailly", "Benoît", "Hébert", "Lacroix", "Leclerc", "Prévost", "Étienne", "Da Costa",
                                      "Langlois", "Maillard", "Lemaître", "Maréchal", "Bourgeois", "Deschamps"]

    /// A reserved surname (``reservedLast``) with the same lengths as `name`.
    /// - Precondition: `name` is one of ``last``.
    public static func reservedLastName(like name: String, using rng: inout some RandomNumberGenerator) -> String {
        reserve.surname(like: name, using: &rng)
    }

    static let reserve = ReservedSurnames(reservedLast)

    public static let streets = ["rue de la République", "avenue Jean-Jaurès", "rue Victor-Hugo", "boulevard Gambetta",
                                 "rue Pasteur", "place de la Mairie", "rue des Écoles", "allée des Tilleuls", "rue du Moulin",
                                 "chemin des Vignes", "rue de la Gare", "avenue de la Libération", "impasse des Lilas"]
    public static let jobs = ["Aide-soignant", "Agent d'entretien", "Vendeur en magasin", "Cariste", "Secrétaire médicale",
                              "Développeur informatique", "Cuisinier", "Assistant comptable", "Chauffeur livreur",
                              "Agent d'accueil", "Préparateur de commandes", "Électricien du bâtiment", "Auxiliaire de vie"]
}

/// French départements used by the synthetic registry: code, main town, postcode prefix.
public enum FrenchDepartements {
    public static let all: [(code: String, town: String, weight: Double)] = [
        ("75", "Paris", 0.14), ("13", "Marseille", 0.10), ("69", "Lyon", 0.09), ("59", "Lille", 0.10), ("33", "Bordeaux", 0.07),
        ("31", "Toulouse", 0.07), ("44", "Nantes", 0.06), ("67", "Strasbourg", 0.05), ("06", "Nice", 0.06), ("35", "Rennes", 0.05),
        ("34", "Montpellier", 0.06), ("2A", "Ajaccio", 0.02), ("76", "Rouen", 0.05), ("971", "Pointe-à-Pitre", 0.02),
        ("63", "Clermont-Ferrand", 0.03), ("21", "Dijon", 0.03),
    ]
}

/// Synthetic French social-security numbers (NIR) with a valid key.
public enum SyntheticNIR {
    /// `S YY MM DD(D) CCC OOO KK` without spaces; key = 97 − (N mod 97), 2A → 19 and 2B → 18.
    public static func make<R: RandomNumberGenerator>(female: Bool, birthYear: Int, birthMonth: Int, departement: String,
                                                      using rng: inout R) -> String {
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        let commune = departement.count == 3 ? pad(Int.random(in: 1...99, using: &rng), 2) : pad(Int.random(in: 1...999, using: &rng), 3)
        let order = pad(Int.random(in: 1...999, using: &rng), 3)
        let body = (female ? "2" : "1") + pad(birthYear % 100, 2) + pad(birthMonth, 2) + departement + commune + order
        let numeric = body.replacingOccurrences(of: "2A", with: "19").replacingOccurrences(of: "2B", with: "18")
        let n = UInt64(numeric)!  // 13 digits once Corsica is mapped
        return body + pad(97 - Int(n % 97), 2)
    }

    /// A fictional phone number in a range ARCEP reserves for fiction.
    public static func phone<R: RandomNumberGenerator>(using rng: inout R) -> String {
        let a = Int.random(in: 0...99, using: &rng), b = Int.random(in: 0...99, using: &rng)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return Bool.random(using: &rng) ? "06 39 98 \(two(a)) \(two(b))" : "01 99 00 \(two(a)) \(two(b))"
    }
}
