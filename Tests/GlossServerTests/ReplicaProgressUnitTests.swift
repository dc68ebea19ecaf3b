import GlossServer
import Testing

struct ReplicaProgressUnitTests {
    @Test func retentionPeriodsAreWholeNumbersWithAUnitOrNever() throws {
        #expect(try RetentionPeriod.parse("90d") == .seconds(90 * 86_400))
        #expect(try RetentionPeriod.parse("12h") == .seconds(12 * 3_600))
        #expect(try RetentionPeriod.parse("30m") == .seconds(1_800))
        #expect(try RetentionPeriod.parse("45s") == .seconds(45))
        #expect(try RetentionPeriod.parse("never") == nil)
        for bad in ["", "d", "0d", "-1d", "1.5d", "90", "90D", "9999999999999999999d", "never!"] {
            #expect(throws: RetentionPeriodError.self, "\(bad)") { try RetentionPeriod.parse(bad) }
        }
    }

    @Test func theHorizonIsWhatEveryActiveReplicaHasSeen() {
        func replica(_ id: String, seen: Int64, retired: Bool = false) -> ReplicaProgress {
            ReplicaProgress(
                replica: id, user: "u", pushedSeq: 0, pulledPosition: seen, lastSeenAt: "2026-12-05T00:00:00Z",
                retiredAt: retired ? "2026-12-05T01:00:00Z" : nil)
        }
        let report = ReplicaReport(
            corpus: "news", latestPosition: 50, replicas: [replica("B", seen: 40), replica("A", seen: 10, retired: true), replica("C", seen: 45)])
        #expect(report.horizon == 40)
        #expect(report.replicas.map(\.replica) == ["B", "C", "A"])
        #expect(ReplicaReport(corpus: "news", latestPosition: 50, replicas: [replica("A", seen: 10, retired: true)]).horizon == 50)
        #expect(ReplicaReport(corpus: "news", latestPosition: 50, replicas: []).horizon == 50)
    }
}
