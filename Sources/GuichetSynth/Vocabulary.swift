// Vocabulary.swift — static Québec vocabulary and deterministic helpers used to
// generate realistic but entirely fictional registry records.
// Every contact detail produced here is fictional by construction: telephone
// numbers use the reserved 555-01XX range and e-mail addresses use the RFC 2606
// reserved domains.

import Foundation

// MARK: - Names

/// Common given names and surnames in Québec, used to synthesise fictional people.
public enum QuebecNames {
    /// Given names frequently chosen for girls born in Québec in 2020-2026.
    public static let girlFirstNames: [String] = [
        "Emma", "Olivia", "Charlotte", "Alice", "Léa", "Florence", "Zoé", "Béatrice", "Rosalie", "Livia",
        "Mia", "Juliette", "Chloé", "Clara", "Jade", "Romy", "Maëlle", "Laurence", "Camille", "Éléonore",
        "Victoria", "Lily", "Sofia", "Emilia", "Anna", "Ella", "Maya", "Éva", "Margot", "Rose",
        "Adèle", "Élizabeth", "Mila", "Océane", "Sarah", "Laura", "Raphaëlle", "Amélia", "Amélie", "Noémie",
        "Gabrielle", "Mégane", "Léonie", "Anaïs", "Inès", "Nora", "Aurélie", "Évelyne", "Lou", "Maïka",
        "Ève", "Jeanne", "Mathilde", "Marguerite", "Louise", "Agathe", "Victoire", "Héloïse", "Lya", "Lia",
        "Luna", "Ariane", "Sophia", "Hannah", "Leila", "Yasmine", "Amira", "Nour", "Malak", "Aya",
        "Sara", "Lina", "Kayla", "Ava", "Abigaëlle", "Delphine", "Megan", "Naomie", "Marianne", "Justine",
        "Élodie", "Coralie", "Mélodie", "Alexia", "Annabelle", "Audrey", "Catherine", "Zoey", "Arielle", "Émilie",
        "Mya", "Lola", "Flavie", "Ophélie", "Maélie", "Daphnée", "Rachel", "Évangéline", "Lucie", "Simone",
        "Eliana", "Aurora", "Isabella", "Stella", "Mira", "Aria", "Nina", "Thalia", "Emy", "Livie",
        "Romane", "Alicia", "Julia", "Pénélope", "Clémence", "Capucine", "Fatima", "Mariam", "Sienna", "Mae",
    ]

    /// Given names frequently chosen for boys born in Québec in 2020-2026.
    public static let boyFirstNames: [String] = [
        "Noah", "William", "Thomas", "Léo", "Liam", "Jacob", "Félix", "Logan", "Nathan", "Édouard",
        "Arthur", "Théo", "Louis", "Émile", "Charles", "Raphaël", "Zack", "Lucas", "Benjamin", "Jules",
        "Gabriel", "Samuel", "Olivier", "Henri", "Antoine", "Alexis", "Xavier", "Mathis", "Adam", "Victor",
        "Hugo", "Loïc", "Milan", "Eli", "Elliot", "Jayden", "Éthan", "Nolan", "Maxime", "Justin",
        "Tristan", "Zachary", "Anthony", "Alexandre", "Émeric", "Laurent", "Léon", "Marius", "Hubert", "Lévi",
        "Isaac", "Nathaniel", "Adrien", "Malik", "Mohamed", "Youssef", "Ayden", "Axel", "Dylan", "Elijah",
        "James", "Jack", "Oliver", "Lincoln", "Owen", "Cédric", "Simon", "Vincent", "Clément", "Philippe",
        "Mathéo", "Noé", "Lorenzo", "Enzo", "Luca", "Matteo", "Dominic", "Maël", "Sacha", "Étienne",
        "Florian", "Ryan", "Aaron", "Ali", "Omar", "Ibrahim", "Amir", "Rayan", "Ilyes", "Kylian",
        "Timothé", "Bastien", "Gabin", "Lyam", "Jaxon", "Carter", "Jasper", "Daniel", "David", "Matthew",
        "Joshua", "Aiden", "Caleb", "Hunter", "Finn", "Marc-Antoine", "Louis-Philippe", "Charles-Antoine", "Malcolm", "Mathias",
        "Ulysse", "Augustin", "Ludovic", "Romain", "Nicolas", "Joseph", "Tom", "Eliam", "Gaël", "Rémi",
    ]

    /// Given names of Québec women born between 1980 and 2000 (typical parents).
    public static let adultFemaleFirstNames: [String] = [
        "Marie-Ève", "Julie", "Mélanie", "Geneviève", "Catherine", "Isabelle", "Stéphanie", "Valérie", "Karine", "Annie",
        "Nathalie", "Caroline", "Véronique", "Émilie", "Audrey", "Vanessa", "Jessica", "Marie-Pier", "Marie-Claude", "Marie-Josée",
        "Sophie", "Andréanne", "Josée", "Amélie", "Mélissa", "Sabrina", "Jennifer", "Cynthia", "Vicky", "Joanie",
        "Maude", "Myriam", "Marilyn", "Marie-Hélène", "Marie-Christine", "Marie-Michèle", "Anne-Marie", "Anne-Sophie", "Roxanne", "Kim",
        "Chantal", "Sarah", "Laurence", "Ariane", "Noémie", "Sandra", "Sonia", "Martine", "Élise", "Claudia",
        "Patricia", "Jacinthe", "Josiane", "Pascale", "Gabrielle", "Camille", "Alexandra", "Jolianne", "Marie-Andrée", "Frédérique",
        "Katherine", "Ève", "Amina", "Fatima", "Nadia", "Linda", "Ying", "Priya", "Daniela", "Samira",
        "Mireille", "Rachel", "Tania", "Lysanne", "Marie-Soleil", "Virginie", "Élodie", "Cindy", "Janie", "Kariane",
    ]

    /// Given names of Québec men born between 1980 and 2000 (typical parents).
    public static let adultMaleFirstNames: [String] = [
        "Maxime", "Jean-Philippe", "Mathieu", "Alexandre", "Simon", "Marc-André", "Olivier", "Jonathan", "David", "Sébastien",
        "Patrick", "Martin", "Éric", "François", "Nicolas", "Vincent", "Kevin", "Steve", "Dominic", "Frédéric",
        "Jean-François", "Pierre-Luc", "Pierre-Olivier", "Guillaume", "Philippe", "Louis-Philippe", "Charles", "Samuel", "Jérôme", "Jérémie",
        "Julien", "Michaël", "Marc-Antoine", "Gabriel", "Francis", "Marc", "Stéphane", "Benoît", "Yannick", "Christian",
        "Daniel", "Carl", "Jean-Sébastien", "Jean-Michel", "Jean-Christophe", "Luc", "Alexis", "Félix", "Raphaël", "Étienne",
        "Antoine", "Hugo", "Xavier", "Karl", "Tommy", "Danny", "Jimmy", "Sylvain", "Benjamin", "Cédric",
        "Jason", "Dave", "Yan", "Simon-Pierre", "Rémi", "Frédérick", "Michel", "Ahmed", "Mohamed", "Karim",
        "Youssef", "Minh", "Wei", "Raj", "Carlos", "Jean-Marc", "Emmanuel", "Ricardo", "Mamadou", "Kenny",
    ]

    /// Common surnames in Québec, including the diversity found in Montréal.
    public static let lastNames: [String] = [
        "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné",
        "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard", "Simard", "Boucher",
        "Caron", "Beaulieu", "Cloutier", "Dubé", "Poirier", "Fournier", "Lapointe", "Leclerc", "Lefebvre", "Poulin",
        "Thibault", "St-Pierre", "Nadeau", "Martin", "Landry", "Martel", "Bédard", "Grenier", "Lessard", "Bernier",
        "Richard", "Michaud", "Hébert", "Desjardins", "Couture", "Turcotte", "Lachance", "Parent", "Blais", "Gosselin",
        "Savard", "Proulx", "Beaudoin", "Demers", "Perreault", "Boudreau", "Lemieux", "Cyr", "Perron", "Dufour",
        "Dion", "Mercier", "Bolduc", "Bérubé", "Boisvert", "Langlois", "Ménard", "Therrien", "Plante", "Bilodeau",
        "Blanchette", "Dussault", "Champagne", "Paradis", "Fortier", "Arsenault", "Dupuis", "Gaudreault", "Hamel", "Houle",
        "Villeneuve", "Rousseau", "Gravel", "Thériault", "Lemay", "Robert", "Allard", "Deschênes", "Giroux", "Guay",
        "Leduc", "Boivin", "Charbonneau", "Lambert", "Raymond", "Vachon", "Gilbert", "Audet", "Jean", "Larouche",
        "Légaré", "Trudel", "Lavallée", "Lebel", "Laflamme", "Desrosiers", "Goulet", "Gingras", "Vaillancourt", "Fillion",
        "Marchand", "Labelle", "Lacroix", "Lalonde", "Fontaine", "Gendron", "Brassard", "Brochu", "Drouin", "Labbé",
        "Lapierre", "Lauzon", "Moreau", "Blouin", "Doucet", "Rioux", "Bourgeois", "Dumont", "Carrier", "Chabot",
        "Harvey", "Lavigne", "Thibodeau", "Vézina", "Auger", "Picard", "Duchesne", "Sirois", "Guérin", "Hamelin",
        "Rochon", "Dupont", "Forget", "Boulanger", "Sauvé", "Marcoux", "Garneau", "Pépin", "Lepage", "Paré",
        "Fréchette", "Séguin", "Ouellette", "Pouliot", "Lafleur", "Tessier", "Turgeon", "Brunet", "Charron", "Tardif",
        "St-Onge", "Beauchamp", "Dubois", "Nguyen", "Tran", "Le", "Pham", "Haddad", "Khoury", "Saleh",
        "Ahmed", "Khan", "Benali", "Diallo", "Traoré", "Coulibaly", "Joseph", "Pierre", "Jean-Baptiste", "Louis",
        "Singh", "Patel", "Wong", "Chen", "Li", "Wang", "Zhang", "Smith", "Murphy", "Campbell",
        "MacDonald", "O'Brien", "Rossi", "Russo", "Esposito", "Rodriguez", "Garcia", "Santos", "Silva", "Cohen",
    ]

    /// Surnames that no real generated family carries, reserved for honeytoken families (so
    /// that no name search of real work returns a honeytoken). Every surname of ``lastNames``
    /// has at least one here of the same lengths (UTF-8 bytes, letters, and e-mail slug), so
    /// that sealed names and e-mails keep the lengths of real ones.
    public static let reservedLastNames: [String] = [
        "Ly", "Ho", "Lam", "Hua", "Roux", "Huot", "Viau", "Noël", "Lévy", "Doré",
        "Rivet", "Hardy", "Boyer", "Maheu", "Hudon", "Hébé", "Émond", "Bélec", "Massé",
        "Paquin", "Racine", "Daigle", "Brault", "Ferron", "Bisson", "Masson", "O'Neill", "D'Amour",
        "Lépine", "Bélair", "Méthot", "Asselin", "Cormier", "Lizotte", "Charest", "Gagnier",
        "Bourassa", "Dufresne", "Bouffard", "Bergevin",
        "Désiré", "Désilets", "Brûlotte", "Théberge", "Béliveau", "Desmarais", "Rainville", "Chartrand",
        "Trépanier", "Ladéroute", "Lamontagne", "Charlebois", "Beauregard", "Lachapelle", "Larochelle",
        "Bissonnette", "Archambault", "Laframboise", "Bellehumeur", "Saint-Martin", "Saint-Jacques", "Saint-Hilaire",
    ]

    /// A reserved surname (``reservedLastNames``) with the same lengths as `name`, drawn
    /// among those that have them.
    /// - Precondition: some reserved surname has the lengths of `name` (true of every
    ///   surname of ``lastNames``; a test checks it).
    public static func reservedLastName(like name: String, using rng: inout some RandomNumberGenerator) -> String {
        reserve.surname(like: name, using: &rng)
    }

    static let reserve = ReservedSurnames(reservedLastNames)
}

/// Surnames set aside for honeytoken records, drawn by the lengths of the real surname each
/// stands for, so that a decoy's sealed names and e-mail keep the lengths of real ones.
struct ReservedSurnames: Sendable {
    let byLengths: [[Int]: [String]]

    init(_ names: [String]) { byLengths = Dictionary(grouping: names, by: Self.lengths) }

    /// The lengths a surname gives its sealed fields: UTF-8 bytes, characters, e-mail slug.
    static func lengths(_ name: String) -> [Int] {
        [name.utf8.count, name.count, SyntheticEmail.make(first: "", last: name, n: 0).utf8.count]
    }

    /// - Precondition: some reserved surname has the lengths of `name`.
    func surname(like name: String, using rng: inout some RandomNumberGenerator) -> String {
        let wanted = Self.lengths(name)
        let matching = byLengths[wanted] ?? []
        precondition(!matching.isEmpty, "no reserved surname has the lengths \(wanted)")
        return matching[Int.random(in: 0..<matching.count, using: &rng)]
    }
}

// MARK: - Regions

/// One of Québec's 17 administrative regions, with sample municipalities and population share.
public struct QuebecRegion: Sendable, Hashable {
    /// Two-digit official region code, "01" to "17".
    public let code: String
    /// Official French name of the region.
    public let name: String
    /// A few real municipalities located in the region.
    public let cities: [String]
    /// Approximate share of Québec's population living in the region (all weights sum to about 1.0).
    public let weight: Double

    /// Creates a region description.
    public init(code: String, name: String, cities: [String], weight: Double) {
        self.code = code
        self.name = name
        self.cities = cities
        self.weight = weight
    }
}

/// The 17 administrative regions of Québec.
public enum QuebecRegions {
    /// All regions ordered by code, with weights from the 2021 census (rounded).
    public static let all: [QuebecRegion] = [
        QuebecRegion(code: "01", name: "Bas-Saint-Laurent",
                     cities: ["Rimouski", "Rivière-du-Loup", "Matane", "Amqui", "Mont-Joli", "Trois-Pistoles"], weight: 0.023),
        QuebecRegion(code: "02", name: "Saguenay–Lac-Saint-Jean",
                     cities: ["Saguenay", "Alma", "Roberval", "Dolbeau-Mistassini", "Saint-Félicien"], weight: 0.033),
        QuebecRegion(code: "03", name: "Capitale-Nationale",
                     cities: ["Québec", "L'Ancienne-Lorette", "Saint-Augustin-de-Desmaures", "Baie-Saint-Paul",
                              "La Malbaie", "Donnacona", "Boischatel"], weight: 0.090),
        QuebecRegion(code: "04", name: "Mauricie",
                     cities: ["Trois-Rivières", "Shawinigan", "La Tuque", "Louiseville"], weight: 0.032),
        QuebecRegion(code: "05", name: "Estrie",
                     cities: ["Sherbrooke", "Magog", "Coaticook", "Lac-Mégantic", "East Angus", "Windsor"], weight: 0.039),
        QuebecRegion(code: "06", name: "Montréal",
                     cities: ["Montréal", "Westmount", "Mont-Royal", "Dorval", "Pointe-Claire", "Côte-Saint-Luc",
                              "Montréal-Est", "Kirkland"], weight: 0.240),
        QuebecRegion(code: "07", name: "Outaouais",
                     cities: ["Gatineau", "Chelsea", "Cantley", "Val-des-Monts", "Maniwaki", "Shawville"], weight: 0.047),
        QuebecRegion(code: "08", name: "Abitibi-Témiscamingue",
                     cities: ["Rouyn-Noranda", "Val-d'Or", "Amos", "La Sarre", "Ville-Marie", "Malartic"], weight: 0.017),
        QuebecRegion(code: "09", name: "Côte-Nord",
                     cities: ["Baie-Comeau", "Sept-Îles", "Port-Cartier", "Forestville", "Havre-Saint-Pierre", "Fermont"],
                     weight: 0.011),
        QuebecRegion(code: "10", name: "Nord-du-Québec",
                     cities: ["Chibougamau", "Chapais", "Lebel-sur-Quévillon", "Matagami", "Chisasibi", "Kuujjuaq"],
                     weight: 0.005),
        QuebecRegion(code: "11", name: "Gaspésie–Îles-de-la-Madeleine",
                     cities: ["Gaspé", "Percé", "Sainte-Anne-des-Monts", "Chandler", "New Richmond", "Carleton-sur-Mer",
                              "Les Îles-de-la-Madeleine"], weight: 0.011),
        QuebecRegion(code: "12", name: "Chaudière-Appalaches",
                     cities: ["Lévis", "Saint-Georges", "Thetford Mines", "Montmagny", "Sainte-Marie", "Beauceville"],
                     weight: 0.051),
        // Laval is a single municipality; the names below are its well-known former towns / districts.
        QuebecRegion(code: "13", name: "Laval",
                     cities: ["Laval", "Chomedey", "Sainte-Rose", "Vimont", "Fabreville", "Duvernay"], weight: 0.051),
        QuebecRegion(code: "14", name: "Lanaudière",
                     cities: ["Terrebonne", "Repentigny", "Mascouche", "Joliette", "L'Assomption", "Rawdon",
                              "Berthierville"], weight: 0.062),
        QuebecRegion(code: "15", name: "Laurentides",
                     cities: ["Saint-Jérôme", "Mirabel", "Blainville", "Saint-Eustache", "Boisbriand", "Sainte-Thérèse",
                              "Mont-Tremblant", "Sainte-Agathe-des-Monts"], weight: 0.074),
        QuebecRegion(code: "16", name: "Montérégie",
                     cities: ["Longueuil", "Brossard", "Saint-Jean-sur-Richelieu", "Saint-Hyacinthe", "Châteauguay",
                              "Vaudreuil-Dorion", "Boucherville", "Salaberry-de-Valleyfield"], weight: 0.185),
        QuebecRegion(code: "17", name: "Centre-du-Québec",
                     cities: ["Drummondville", "Victoriaville", "Bécancour", "Nicolet", "Plessisville", "Princeville"],
                     weight: 0.029),
    ]
}

// MARK: - Streets and daycares

/// Typical Québec street names used to build fictional addresses.
public enum StreetNames {
    /// About sixty common street names, with their French generic ("rue", "boulevard"...).
    public static let all: [String] = [
        "rue Principale", "boulevard Saint-Laurent", "rue des Érables", "avenue du Parc", "chemin du Lac",
        "rue Notre-Dame", "rue Saint-Jean", "rue Sainte-Catherine", "rue Sherbrooke", "boulevard René-Lévesque",
        "rue de l'Église", "rue du Moulin", "rue des Pins", "rue des Bouleaux", "rue des Cèdres",
        "rue des Lilas", "rue des Saules", "rue des Merisiers", "avenue des Sapins", "chemin du Roy",
        "rang Saint-Joseph", "rue Saint-Denis", "avenue Laurier", "boulevard Taschereau", "boulevard des Laurentides",
        "rue King Ouest", "rue Wellington", "boulevard Talbot", "rue Racine", "boulevard Saint-Joseph",
        "rue Champlain", "rue Frontenac", "avenue Papineau", "avenue Cartier", "rue de la Gare",
        "rue du Couvent", "rue du Collège", "rue Dufferin", "boulevard LaSalle", "rue Jacques-Cartier",
        "rue Marie-Victorin", "boulevard du Curé-Labelle", "rue Masson", "rue Beaubien", "rue Jean-Talon",
        "rue Fleury", "boulevard Gouin", "chemin de la Côte-des-Neiges", "rue du Ruisseau", "rue des Hirondelles",
        "rue de la Rivière", "rue du Fleuve", "chemin des Patriotes", "boulevard Sainte-Anne", "rue Saint-Georges",
        "rue Saint-Paul", "rue Victoria", "boulevard des Forges", "rue des Tulipes", "avenue Royale",
        "rue de la Montagne", "rue du Boisé",
    ]
}

/// Building blocks for fictional childcare-centre names ("CPE Les Lucioles").
public enum DaycareNames {
    /// Type prefixes of childcare establishments.
    public static let prefixes: [String] = ["CPE", "Garderie", "Centre de la petite enfance"]

    /// Whimsical names typical of Québec daycares.
    public static let themes: [String] = [
        "Les Petits Explorateurs", "La Ribambelle", "Les Lucioles", "Le Jardin des Bambins", "Les Coccinelles",
        "Arc-en-ciel", "Les Petits Pas", "La Marelle", "Les Trésors", "Soleil levant",
        "Les Papillons", "La Petite Ourse", "Les Petits Lutins", "Les Copains d'abord", "La Maisonnée",
        "Les Frimousses", "Le Petit Monde", "Les Bourgeons", "La Pomme d'api", "Les Petites Pousses",
        "Les Hiboux", "Le Nid", "Les Écureuils", "La Cabane enchantée", "Les Petits Castors",
        "Les Oursons", "La Clé des champs", "Les Mille-Pattes", "Le Carrousel", "Les Pinsons",
        "Les Petits Bonheurs", "La Bottine", "Les Étoiles filantes", "Le Petit Prince", "Les Câlins",
        "Les Abeilles", "Le Tournesol", "Les Chatons", "La Forêt enchantée", "Les Marmots",
        "Les Petits Mousses", "Le Manège", "Les Grenouilles", "La Fourmilière", "Les Pissenlits",
        "Le Cerf-volant", "Les Petits Bouts", "La Coquille", "Les Flocons", "Les Mésanges",
        "Le Moulin à vent", "Les Colibris", "La Boîte à surprises", "Les Petits Génies", "Les Bambins",
        "Les Campanules", "Le Phare", "Les Pirouettes", "La Vallée des Lutins", "Les Petites Frimousses",
    ]
}

// MARK: - Deterministic PRNG

/// SplitMix64: a tiny, fast, deterministic pseudo-random generator (not cryptographic).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose whole output sequence is determined by `seed`.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// Returns the next 64 pseudo-random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - RAMQ health-insurance number

/// Québec health-insurance number (NAM, RAMQ) in the form `LLLF YYMM DDNN`.
public enum NAM {
    /// Builds a 12-character NAM without spaces: 3 surname letters, 1 given-name letter, YY, MM (+50 for women), DD, NN.
    public static func make(lastName: String, firstName: String, birthYear: Int, birthMonth: Int, birthDay: Int,
                            female: Bool, sequence: Int) -> String {
        let last = String(asciiLetters(lastName).prefix(3))
        let paddedLast = last + String(repeating: "X", count: 3 - last.count)
        let first = asciiLetters(firstName).first.map(String.init) ?? "X"
        let yy = ((birthYear % 100) + 100) % 100
        let mm = birthMonth + (female ? 50 : 0)
        let nn = ((sequence % 100) + 100) % 100
        return paddedLast + first + twoDigits(yy) + twoDigits(mm) + twoDigits(birthDay) + twoDigits(nn)
    }

    /// Removes diacritics (é → E, Ç → C) and keeps only the letters A-Z, uppercased.
    public static func asciiLetters(_ s: String) -> String {
        let folded = s.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).uppercased()
        return String(folded.unicodeScalars.filter { $0.value >= 65 && $0.value <= 90 }.map(Character.init))
    }

    private static func twoDigits(_ v: Int) -> String {
        v < 10 && v >= 0 ? "0\(v)" : "\(v)"
    }
}

// MARK: - Telephone numbers

/// Fictional Québec telephone numbers and NANP normalisation.
public enum QuebecPhone {
    /// Real area codes serving each administrative region code ("01"..."17").
    public static let areaCodes: [String: [String]] = [
        "01": ["418", "581", "367"], "02": ["418", "581", "367"], "03": ["418", "581", "367"],
        "04": ["819", "873"], "05": ["819", "873"], "06": ["514", "438"], "07": ["819", "873"],
        "08": ["819", "873"], "09": ["418", "581", "367"], "10": ["819", "873", "418"],
        "11": ["418", "581", "367"], "12": ["418", "581", "367"], "13": ["450", "579"],
        "14": ["450", "579"], "15": ["450", "579"], "16": ["450", "579"], "17": ["819", "873"],
    ]

    /// Makes a fictional number "+1 AAA 555 01XX" (reserved fictional range) with an area code of `region`.
    public static func make<R: RandomNumberGenerator>(region: String, using rng: inout R) -> String {
        let codes = areaCodes[region] ?? ["514", "438"]
        let area = codes[Int.random(in: 0..<codes.count, using: &rng)]
        let line = Int.random(in: 0...99, using: &rng)
        return "+1 \(area) 555 01" + (line < 10 ? "0\(line)" : "\(line)")
    }

}

// MARK: - E-mail

/// Fictional e-mail addresses restricted to the RFC 2606 reserved domains.
public enum SyntheticEmail {
    /// Reserved example domains; no other domain is ever produced.
    public static let domains: [String] = ["example.org", "example.net", "example.com"]

    /// Builds "first.last{n}@example.org|net|com", ascii-folded and lowercased (hyphens kept).
    public static func make(first: String, last: String, n: Int) -> String {
        let f = slug(first)
        let l = slug(last)
        let local = [f, l].filter { !$0.isEmpty }.joined(separator: ".")
        let index = Int(n.magnitude % UInt(domains.count))
        return (local.isEmpty ? "user" : local) + "\(n.magnitude)@" + domains[index]
    }

    private static func slug(_ s: String) -> String {
        let folded = s.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
        var out = ""
        for u in folded.unicodeScalars {
            if (u.value >= 97 && u.value <= 122) || (u.value >= 48 && u.value <= 57) {
                out.unicodeScalars.append(u)
            } else if (u == "-" || u == " ") && !out.isEmpty && !out.hasSuffix("-") {
                out.append("-")
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }
}
