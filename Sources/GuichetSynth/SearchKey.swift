public import GuichetCore

/// What a family or a job seeker says when they call: the name and birth date an agent
/// searches by. Kept by a generator only when asked (``Place05Generator/keepSearchKeys``,
/// ``EmploiGenerator/keepSearchKeys``), for the simulator's agents; synthetic values that
/// stay in memory and are never printed.
public struct SearchKey: Sendable {
    public let lastName: String
    public let birthDate: LocalDate
}
