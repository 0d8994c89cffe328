//! The client scenarios of the reference (§8: S13–S17, S20): losses and duplicates that happen in
//! the producer's memory and in the consumer's commit loop, not on the brokers.

use super::command::Command;
use super::config::Acks;
use super::config::{
    CommitStyle, ConsumerSetup, Era, HighWatermarkRule, OffsetReset, ProcessingStyle,
};
use super::event::{EventKind, KafkaError};
use super::ledger::Verdict;
use super::message::SendStatus;
use super::testkit::{Lab, P0, b, setup};
use super::types::{ConsumerId, ProducerId};

const P1: ProducerId = ProducerId(0);
const C1: ConsumerId = ConsumerId(0);

fn consumer(commit: CommitStyle, processing: ProcessingStyle, processing_ms: u64) -> ConsumerSetup {
    ConsumerSetup {
        commit,
        processing,
        processing_ms,
        max_poll_records: 3,
        auto_offset_reset: OffsetReset::Earliest,
        ..ConsumerSetup::default()
    }
}

/// A 3-broker cluster with the given consumer, and m0..m8 produced and committed before it starts
/// reading (the consumer's first poll happens when the records become visible).
fn with_nine_records(c: ConsumerSetup) -> Lab {
    let mut s = setup(3, 3, 2, Acks::All);
    s.consumers = vec![c];
    let mut lab = Lab::new(&s);
    for i in 0..9 {
        lab.produce(&format!("m{i}"));
    }
    lab.run_until_acked("m8");
    lab
}

fn processed(lab: &Lab, name: &str) -> u32 {
    lab.world()
        .ledger()
        .by_name(name)
        .expect("in ledger")
        .processed
}

fn delivered(lab: &Lab, name: &str) -> u32 {
    lab.world()
        .ledger()
        .by_name(name)
        .expect("in ledger")
        .delivered
}

fn skipped(lab: &Lab, name: &str) -> bool {
    lab.world()
        .ledger()
        .by_name(name)
        .expect("in ledger")
        .skipped
}

fn committed(lab: &Lab) -> Option<u64> {
    lab.world().coordinator().committed("app", P0)
}

/// S13 — the producer process is killed while m1..m3 sit in one open batch (linger.ms=100).
#[test]
fn s13_killed_producer_loses_its_buffer() {
    let mut s = setup(3, 3, 2, Acks::All);
    s.producers[0].linger_ms = 100;
    let mut lab = Lab::new(&s);
    lab.produce("m1");
    lab.run_for(10);
    lab.produce("m2");
    lab.run_for(10);
    lab.produce("m3");
    lab.run_for(30);
    lab.apply(&Command::KillProducer(P1));
    lab.run_for(10_000);
    for m in ["m1", "m2", "m3"] {
        assert_eq!(lab.verdict(m), Verdict::LostInProducer, "{m}");
    }
    assert!(lab.log(1).is_empty(), "nothing reached a broker");
}

/// S13b — killed with the request in flight: the records are in the log but never acked; a
/// restarted application that sends them again (new producer id) duplicates them.
#[test]
fn s13b_in_flight_records_are_in_doubt_and_resending_duplicates() {
    let mut s = setup(3, 3, 2, Acks::All);
    s.producers[0].spool = true;
    let mut lab = Lab::new(&s);
    lab.produce("m1");
    lab.run_until("B1 has m1", |w| {
        w.partition(P0)
            .replica(b(1))
            .is_some_and(|r| r.log.end_offset() == 1)
    });
    lab.apply(&Command::KillProducer(P1));
    lab.run_for(5_000);
    assert_eq!(lab.status("m1"), SendStatus::Abandoned);
    assert_eq!(
        lab.verdict("m1"),
        Verdict::InDoubt,
        "in the log, never acknowledged"
    );
    lab.apply(&Command::RestartProducer(P1));
    lab.run_until_acked("m1");
    lab.run_for(1_000);
    assert_eq!(
        lab.log(1),
        vec!["m1", "m1"],
        "a new producer id is a new idempotence session"
    );
    assert!(
        lab.world()
            .ledger()
            .by_name("m1")
            .is_some_and(super::ledger::LedgerEntry::is_duplicated)
    );
}

/// S13c — `flush()` before exiting waits for every record: nothing is lost.
#[test]
fn s13c_flush_before_exit_loses_nothing() {
    let mut s = setup(3, 3, 2, Acks::All);
    s.producers[0].linger_ms = 100;
    let mut lab = Lab::new(&s);
    for m in ["m1", "m2", "m3"] {
        lab.produce(m);
    }
    lab.apply(&Command::FlushProducer(P1));
    lab.run_until("flush returns", |w| w.producers()[0].draining.is_none());
    assert!(lab.now() < 100, "flush() does not wait for linger.ms");
    lab.apply(&Command::KillProducer(P1));
    for m in ["m1", "m2", "m3"] {
        assert_eq!(lab.verdict(m), Verdict::Safe, "{m}");
    }
}

/// S14 — the leader is gone, the buffer fills, `send()` blocks for max.block.ms and then fails
/// with BufferExhaustedException; buffered batches expire at delivery.timeout.ms. No record
/// disappears without an error.
#[test]
fn s14_buffer_full_blocks_then_fails_loudly() {
    let mut s = setup(3, 3, 2, Acks::All);
    let p = &mut s.producers[0];
    p.buffer_memory = 65_536;
    p.record_bytes = 1_024;
    let mut lab = Lab::new(&s);
    for broker in 1..=3 {
        lab.crash(broker);
    }
    for i in 1..=70 {
        lab.produce(&format!("m{i}"));
    }
    assert!(
        lab.sim
            .events()
            .iter()
            .any(|e| matches!(e.kind, EventKind::SendBlocked { .. }))
    );
    assert_eq!(
        lab.world().producers()[0].buffer_used,
        65_536,
        "four 16 KiB batches fill the pool"
    );
    lab.run_until("m65 fails", |w| {
        !matches!(w.messages()[64].status, SendStatus::Queued)
    });
    assert_eq!(
        lab.status("m65"),
        SendStatus::Failed {
            error: KafkaError::BufferExhausted
        }
    );
    assert_eq!(lab.now(), 60_000, "after max.block.ms");
    lab.run_until("m1 fails", |w| {
        matches!(w.messages()[0].status, SendStatus::Failed { .. })
    });
    assert_eq!(
        lab.status("m1"),
        SendStatus::Failed {
            error: KafkaError::DeliveryTimeout
        }
    );
    assert_eq!(
        lab.now(),
        120_000,
        "after delivery.timeout.ms from batch creation"
    );
    lab.run_for(1_000);
    assert_eq!(
        lab.status("m66"),
        SendStatus::Buffered,
        "freed memory unblocks the application"
    );
    let ledger = lab.world().ledger();
    assert!(
        ledger
            .entries
            .iter()
            .all(|e| e.verdict != Verdict::AckedLost && e.verdict != Verdict::LostInProducer)
    );
}

/// S15 — auto-commit with in-loop processing: a crash mid-batch redelivers; nothing is lost.
#[test]
fn s15_auto_commit_in_loop_gives_duplicates_not_loss() {
    let mut lab = with_nine_records(consumer(CommitStyle::Auto, ProcessingStyle::InLoop, 1_000));
    lab.run_until("m7 processing", |w| {
        w.consumers()[0]
            .processing
            .is_some_and(|(d, _)| w.messages()[d.message.index()].name.as_ref() == "m7")
    });
    assert_eq!(
        committed(&lab),
        Some(6),
        "the third poll committed what the first two returned"
    );
    lab.run_for(500);
    lab.apply(&Command::KillConsumer(C1));
    lab.apply(&Command::RestartConsumer(C1));
    lab.run_for(10_000);
    for m in ["m0", "m1", "m2", "m3", "m4", "m5"] {
        assert_eq!(processed(&lab, m), 1, "{m}");
    }
    assert_eq!(
        processed(&lab, "m6"),
        2,
        "processed before the crash and again after"
    );
    assert_eq!(delivered(&lab, "m7"), 2);
    assert_eq!(
        processed(&lab, "m7"),
        1,
        "the crash cut its first processing short"
    );
    assert!((0..9).all(|i| !skipped(&lab, &format!("m{i}"))), "no loss");
}

/// S16a — auto-commit with hand-off to a worker: the poll loop commits positions the worker has
/// not reached; a crash loses them.
#[test]
fn s16a_auto_commit_with_hand_off_loses_records() {
    let mut lab = with_nine_records(consumer(CommitStyle::Auto, ProcessingStyle::HandOff, 1_000));
    lab.run_until("auto-commit of 9", |w| {
        w.coordinator().committed("app", P0) == Some(9)
    });
    lab.run_for(400);
    lab.apply(&Command::KillConsumer(C1));
    lab.apply(&Command::RestartConsumer(C1));
    lab.run_for(20_000);
    for m in ["m0", "m1", "m2", "m3"] {
        assert_eq!(processed(&lab, m), 1, "{m}");
    }
    for m in ["m5", "m6", "m7", "m8"] {
        assert_eq!(processed(&lab, m), 0, "{m}");
        assert!(
            skipped(&lab, m),
            "{m} was committed but never processed\n{}",
            lab.transcript()
        );
    }
}

/// S16b — `close()` in a `finally` after a record throws: close() commits the whole position.
#[test]
fn s16b_close_in_finally_commits_unprocessed_records() {
    let mut c = consumer(CommitStyle::Auto, ProcessingStyle::InLoop, 1_000);
    c.close_on_error = true;
    let mut lab = with_nine_records(c);
    lab.run_until("m0 processed", |w| w.messages()[0].processed == 1);
    lab.apply(&Command::FailNext(C1));
    lab.run_for(5_000);
    assert_eq!(
        committed(&lab),
        Some(3),
        "close() committed the position of the first poll"
    );
    assert!(skipped(&lab, "m1"), "m1 threw and was never processed");
    assert!(skipped(&lab, "m2"), "m2 was never even tried");
}

/// S17 — `commitSync()` after processing: a crash before the commit redelivers the batch.
#[test]
fn s17_commit_after_processing_duplicates_on_crash() {
    let mut lab = with_nine_records(consumer(
        CommitStyle::SyncAfterProcessing,
        ProcessingStyle::InLoop,
        1_000,
    ));
    lab.run_until("m2 processed", |w| w.messages()[2].processed == 1);
    assert_eq!(
        committed(&lab),
        None,
        "the commit is the next step of the loop"
    );
    lab.apply(&Command::KillConsumer(C1));
    lab.apply(&Command::RestartConsumer(C1));
    lab.run_for(20_000);
    for m in ["m0", "m1", "m2"] {
        assert_eq!(processed(&lab, m), 2, "{m} processed again");
    }
    assert!((0..9).all(|i| !skipped(&lab, &format!("m{i}"))));
    assert_eq!(committed(&lab), Some(9));
}

/// S17 — commit before processing (at-most-once): a crash after m0 loses m1 and m2.
#[test]
fn s17_commit_before_processing_loses_on_crash() {
    let mut lab = with_nine_records(consumer(
        CommitStyle::SyncBeforeProcessing,
        ProcessingStyle::InLoop,
        1_000,
    ));
    lab.run_until("m0 processed", |w| w.messages()[0].processed == 1);
    lab.apply(&Command::KillConsumer(C1));
    lab.apply(&Command::RestartConsumer(C1));
    lab.run_for(20_000);
    assert!(
        skipped(&lab, "m1") && skipped(&lab, "m2"),
        "{}",
        lab.transcript()
    );
    assert_eq!(processed(&lab, "m3"), 1);
}

/// S17 — the off-by-one: committing `lastOffset` redelivers the last processed record.
#[test]
fn s17_committing_last_offset_redelivers_last_record() {
    let mut lab = with_nine_records(consumer(
        CommitStyle::PerPartitionLastOffset,
        ProcessingStyle::InLoop,
        1_000,
    ));
    lab.run_until("m2 processed", |w| w.messages()[2].processed == 1);
    assert_eq!(committed(&lab), Some(2), "offset of m2, not the next one");
    lab.apply(&Command::KillConsumer(C1));
    lab.apply(&Command::RestartConsumer(C1));
    lab.run_until("m3 processed", |w| w.messages()[3].processed == 1);
    assert_eq!(processed(&lab, "m2"), 2, "redelivered and processed twice");
    assert_eq!(processed(&lab, "m1"), 1);
}

/// S17 — committing `lastOffset + 1` per partition: nothing redelivered.
#[test]
fn s17_committing_next_offset_is_exact() {
    let mut lab = with_nine_records(consumer(
        CommitStyle::PerPartitionNextOffset,
        ProcessingStyle::InLoop,
        1_000,
    ));
    lab.run_until("m2 processed", |w| w.messages()[2].processed == 1);
    assert_eq!(committed(&lab), Some(3));
    lab.apply(&Command::KillConsumer(C1));
    lab.apply(&Command::RestartConsumer(C1));
    lab.run_for(20_000);
    assert!((0..9).all(|i| processed(&lab, &format!("m{i}")) == 1));
}

/// S17 — a batch longer than max.poll.interval.ms: the member is removed, the partition moves to
/// C2, which reprocesses the batch; C1's late commitSync fails with CommitFailedException.
#[test]
fn s17_poll_interval_exceeded_moves_partition_and_fails_late_commit() {
    let mut slow = consumer(
        CommitStyle::SyncAfterProcessing,
        ProcessingStyle::InLoop,
        4_000,
    );
    slow.max_poll_interval_ms = 10_000;
    let second = ConsumerSetup {
        name: "C2".into(),
        ..slow.clone()
    };
    let mut s = setup(3, 3, 2, Acks::All);
    s.consumers = vec![slow, second];
    let mut lab = Lab::new(&s);
    for i in 0..3 {
        lab.produce(&format!("m{i}"));
    }
    lab.run_for(30_000);
    let events = lab.sim.events();
    assert!(events.iter().any(|e| matches!(
        e.kind,
        EventKind::MemberRemoved {
            poll_interval_exceeded: true,
            ..
        }
    )));
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::CommitRejected { error: KafkaError::CommitFailed, consumer } if consumer == C1)));
    let c2 = ConsumerId(1);
    let m0 = lab.message("m0");
    assert!(
        events.iter().any(|e| e.kind
            == EventKind::Processed {
                consumer: c2,
                message: m0,
                offset: 0
            }),
        "the batch was processed again by C2\n{}",
        lab.transcript()
    );
}

/// S20 — acks=1 below min.insync.replicas: acknowledged, but invisible to consumers from 3.7.
fn s20(era: Era) -> Lab {
    let mut s = setup(3, 3, 2, Acks::One);
    s.consumers = vec![ConsumerSetup {
        auto_offset_reset: OffsetReset::Earliest,
        ..ConsumerSetup::default()
    }];
    s.era = era;
    let mut lab = Lab::new(&s);
    lab.produce("m1");
    lab.run_until_acked("m1");
    assert_eq!(
        delivered(&lab, "m1"),
        0,
        "acked, but not committed yet: invisible"
    );
    lab.run_for(1_000);
    assert_eq!(delivered(&lab, "m1"), 1);
    lab.crash(2);
    lab.crash(3);
    lab.run_for(10_000);
    lab.produce("m2");
    lab.run_until_acked("m2");
    assert_eq!(
        lab.status("m2"),
        SendStatus::Acked { offset: Some(1) },
        "min ISR is not checked for acks=1"
    );
    lab.run_for(2_000);
    lab
}

#[test]
fn s20_strict_min_isr_hides_acks_one_records() {
    let mut lab = s20(Era::default());
    assert_eq!(delivered(&lab, "m2"), 0, "HW frozen below min ISR (3.7+)");
    lab.restart(2);
    lab.restart(3);
    lab.run_for(2_000);
    assert_eq!(delivered(&lab, "m2"), 1, "visible once the ISR is back");
}

#[test]
fn s20_power_cut_of_last_replica_loses_a_record_nobody_saw_in_3_7() {
    let mut lab = s20(Era::default());
    lab.power_cut(1);
    lab.restart(1);
    lab.run_for(2_000);
    assert_eq!(lab.verdict("m2"), Verdict::AckedLost);
    assert_eq!(delivered(&lab, "m2"), 0, "no consumer ever read it");
}

#[test]
fn s20_classic_hw_lets_consumers_read_a_record_that_is_later_lost() {
    let mut lab = s20(Era {
        high_watermark: HighWatermarkRule::Classic,
        ..Era::default()
    });
    assert_eq!(
        processed(&lab, "m2"),
        1,
        "before 3.7 the HW followed the ISR down"
    );
    lab.power_cut(1);
    lab.restart(1);
    lab.run_for(2_000);
    assert_eq!(
        lab.verdict("m2"),
        Verdict::AckedLost,
        "processed downstream, gone from Kafka"
    );
}
