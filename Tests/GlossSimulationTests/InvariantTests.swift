import Testing

/// The text invariant tells a correction aligned elsewhere in a run of equal scalars
/// (seed 811) from a correction that was lost.
struct InvariantTests {
    @Test func aLineBreakAlreadyInTheRunIsNotALostCorrection() {
        // The paragraph "P." moved up on one side; a line break was added before "Q" on the other.
        let parent = "A\n\nX.\n\nP.\n\nQ"
        let corrected = "A\n\nX.\n\nP.\n\n\nQ"
        let shown = "A\n\nP.\n\nX.\n\n\nQ"
        let again = "A\n\nP.\n\nX.\n\n\n\nQ"
        #expect(Invariants.onlyLengthensARun(shown: shown, again: again, parent: parent, corrected: corrected))
    }

    @Test func aLineBreakMissingFromTheRunIsALostCorrection() {
        let parent = "A\n\nX.\n\nQ"
        let corrected = "A\n\nX.\n\n\nQ"
        let shown = "A\n\nX.\n\nQ"
        let again = "A\n\nX.\n\n\nQ"
        #expect(!Invariants.onlyLengthensARun(shown: shown, again: again, parent: parent, corrected: corrected))
    }

    @Test func otherCorrectionsAreNeverExcused() {
        // The correction changed a word, not a run.
        #expect(!Invariants.onlyLengthensARun(shown: "a b", again: "a bb", parent: "a c", corrected: "a cb"))
        // The re-merge added something other than the run's scalar.
        #expect(!Invariants.onlyLengthensARun(shown: "A\n\nQ", again: "A\n\nxQ", parent: "A\nQ", corrected: "A\n\nQ"))
    }
}
