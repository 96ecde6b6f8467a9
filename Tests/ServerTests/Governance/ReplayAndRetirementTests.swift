import EdgeSyncModels
import Testing

@testable import Server

@Suite("Rules: replay order and progress")
struct ReplayTests {
    typealias S = GovernanceSamples

    @Test func telemetryDrainsFirstThenTheOldest() {
        let intents = [
            Replay.Intent(id: "a", lineageID: "l1", strategy: .rows, createdAt: 1),
            Replay.Intent(id: "b", lineageID: "l2", strategy: .telemetry, createdAt: 5),
            Replay.Intent(id: "c", lineageID: "l3", strategy: .telemetry, createdAt: 3),
        ]
        #expect(Replay.order(intents).map(\.id) == ["c", "b", "a"])
        #expect(Replay.order([]).isEmpty)
    }

    @Test func aStepCompletesWhenNothingIsStaged() {
        let running = Replay.stepped(
            S.lineage(staged: 10),
            intentID: "i",
            replayed: 5,
            totalReplayed: 0,
            lastError: nil
        )
        #expect(!running.completed && S.events(running.effects).isEmpty)
        let done = Replay.stepped(S.lineage(staged: 0), intentID: "i", replayed: 5, totalReplayed: 10, lastError: nil)
        #expect(done.completed && S.events(done.effects) == [.replayCompleted])
        #expect(done.effects.first == .progressReplay(intentID: "i", replayed: 5, completed: true, lastError: nil))
    }
}

@Suite("Rules: re-snapshot retirement")
struct RetirementTests {
    @Test func rowsOfEpochsBeforeTheRetiredOneAreHistory() {
        let state = Retirement.State(retiredBefore: "0192-b")
        #expect(Retirement.isRetired("0192-a", state) && !Retirement.isRetired("0192-b", state))
        #expect(!Retirement.isRetired("0192-a", Retirement.State()))
    }

    @Test func anOlderOrRetiredSnapshotEndIsIgnored() {
        var state = Retirement.State(pending: ("0192-c", 10), retiredBefore: "0192-b")
        #expect(Retirement.snapshotEnd(lineageID: "l", epoch: "0192-a", through: 5, &state).isEmpty)
        #expect(Retirement.snapshotEnd(lineageID: "l", epoch: "0192-b", through: 5, &state).isEmpty)
        #expect(
            Retirement.snapshotEnd(lineageID: "l", epoch: "0192-d", through: 7, &state)
                == [.noteSnapshotEnd(lineageID: "l", epoch: "0192-d", through: 7)]
        )
        #expect(state.pending?.epoch == "0192-d")
    }

    @Test func retirementWaitsForEveryRowOfTheSnapshotAndAMirror() {
        var state = Retirement.State(pending: ("0192-d", 7))
        #expect(Retirement.due(lineageID: "l", &state, stagedAtOrBelowEnd: true, hasMirror: true).isEmpty)
        #expect(Retirement.due(lineageID: "l", &state, stagedAtOrBelowEnd: false, hasMirror: false).isEmpty)
        #expect(
            Retirement.due(lineageID: "l", &state, stagedAtOrBelowEnd: false, hasMirror: true)
                == [.retire(lineageID: "l", epoch: "0192-d")]
        )
        #expect(state.pending == nil && state.retiredBefore == "0192-d")
    }
}

@Suite("Rules: batch admission and telemetry sequence")
struct AdmissionTests {
    @Test func aLineageKeepsItsStrategy() {
        let lineage = GovernanceSamples.lineage()
        #expect(BatchAdmission.strategyMismatch(lineage, incoming: .rows, batchID: "b") == nil)
        #expect(
            BatchAdmission.strategyMismatch(lineage, incoming: .telemetry, batchID: "b")?.code
                == .invalidCaptureStrategy
        )
    }

    @Test func telemetryBatchesAreDedupedBySequence() {
        #expect(
            TelemetrySequence.check(batchSeq: 3, sameBatchSeen: true, seqUsedByAnotherBatch: true, highestAccepted: 9)
                == .duplicate
        )
        #expect(
            TelemetrySequence.check(batchSeq: 3, sameBatchSeen: false, seqUsedByAnotherBatch: true, highestAccepted: 9)
                == .reject(.duplicateBatchSeq, "batch_seq 3 was already used by another batch")
        )
        if case .reject(let code, _) = TelemetrySequence.check(
            batchSeq: 3,
            sameBatchSeen: false,
            seqUsedByAnotherBatch: false,
            highestAccepted: 9
        ) {
            #expect(code == .staleBatchSeq)
        } else {
            Issue.record("a batch_seq below the highest accepted is stale")
        }
        #expect(
            TelemetrySequence.check(
                batchSeq: 10,
                sameBatchSeen: false,
                seqUsedByAnotherBatch: false,
                highestAccepted: 9
            ) == .accept
        )
    }

    @Test func aNewerJournalEpochStartsTheSequenceOver() {
        let older = "01936f2e-5c3b-7a00-8000-000000000001"
        let newer = "01936f2e-5c3c-7a00-8000-000000000001"
        // A device that lost its state sends batch_seq 1 again, in a new epoch.
        #expect(
            TelemetrySequence.check(
                batchSeq: 1,
                epoch: newer,
                currentEpoch: older,
                sameBatchSeen: false,
                seqUsedByAnotherBatch: true,
                highestAccepted: 40
            ) == .restart
        )
        #expect(
            TelemetrySequence.check(
                batchSeq: 1,
                epoch: older,
                currentEpoch: "",
                sameBatchSeen: false,
                seqUsedByAnotherBatch: true,
                highestAccepted: 40
            ) == .restart
        )
        if case .reject(let code, _) = TelemetrySequence.check(
            batchSeq: 41,
            epoch: older,
            currentEpoch: newer,
            sameBatchSeen: false,
            seqUsedByAnotherBatch: false,
            highestAccepted: 2
        ) {
            #expect(code == .staleBatchSeq)
        } else {
            Issue.record("a batch of an older epoch is stale")
        }
    }
}
