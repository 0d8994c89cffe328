use std::time::Duration;

use super::*;
use crate::lesson::player::Player;
use crate::sim::config::{Acks, Era, TruncationRule};
use crate::sim::testkit::setup as cluster;
use crate::sim::{BrokerId, MessageId};

fn options() -> Options {
    Options {
        threads: 2,
        seed: 1,
        random_time: Duration::ZERO,
        random_runs: Some(0),
        exhaustive_time: Duration::from_secs(3600),
        dedup: true,
    }
}

fn bounds(setup: &Setup, messages: u32, budget: Budget) -> Bounds {
    let workload = Workload { messages };
    Bounds {
        workload,
        budget,
        faults: budget.total(),
        depth: natural_depth(setup, workload).expect("valid setup"),
    }
}

fn crashes(n: u8) -> Budget {
    Budget {
        crashes: n,
        ..Budget::default()
    }
}

/// KIP-101 scenario 1: two replicas, the follower (B1) restarts with a stale HW.
fn kip101(truncation: TruncationRule) -> Setup {
    let mut setup = cluster(2, 2, 1, Acks::All);
    setup.topics[0].assignment = Some(vec![vec![BrokerId(2), BrokerId(1)]]);
    setup.era = Era {
        truncation,
        ..Era::LEGACY_0_10
    };
    setup
}

#[test]
fn finds_the_acks_one_loss_with_one_crash() {
    let setup = cluster(3, 3, 1, Acks::One);
    let summary =
        explore(&setup, &bounds(&setup, 1, crashes(1)), &options(), |_| {}).expect("runs");
    let found = summary
        .found
        .expect("acks=1 loses an acked record to one crash");
    assert_eq!(found.phase, Phase::Exhaustive);
    assert_eq!(
        found.violations,
        vec![Violation::AckedMessageLost {
            message: MessageId(0)
        }]
    );
    assert_eq!(found.plan.len(), 1);
    assert_eq!(found.plan[0].fault.kind, FaultKind::Crash);
    assert_eq!(
        found.plan[0].fault.broker,
        BrokerId(1),
        "the leader dies before a follower fetched"
    );
}

#[test]
fn finds_kip_101_scenario_one_with_high_watermark_truncation_only() {
    let legacy = kip101(TruncationRule::HighWatermark);
    let b = bounds(&legacy, 1, crashes(2));
    let summary = explore(&legacy, &b, &options(), |_| {}).expect("runs");
    let found = summary.found.expect("HW truncation loses the acked record");

    assert!(found.violations.contains(&Violation::AckedMessageLost {
        message: MessageId(0)
    }));
    let kinds: Vec<(FaultKind, BrokerId, Recovery)> = found
        .plan
        .iter()
        .map(|p| (p.fault.kind, p.fault.broker, p.fault.recovery))
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert_eq!(
        kinds[0],
        (FaultKind::Crash, BrokerId(1), Recovery::Immediately),
        "the follower bounces"
    );
    assert_eq!(
        (kinds[1].0, kinds[1].1),
        (FaultKind::Crash, BrokerId(2)),
        "then the leader dies"
    );

    let epochs = kip101(TruncationRule::LeaderEpoch);
    let summary = explore(&epochs, &b, &options(), |_| {}).expect("runs");
    assert!(summary.found.is_none(), "{:?}", summary.found);
    assert!(summary.exhaustive_done && summary.states > 0);
}

#[test]
fn acks_all_with_min_isr_two_loses_nothing_to_process_crashes() {
    let setup = cluster(3, 3, 2, Acks::All);
    let b = bounds(&setup, 2, crashes(2));
    let summary = explore(&setup, &b, &options(), |_| {}).expect("runs");
    assert!(summary.found.is_none(), "{:?}", summary.found);
    assert!(summary.exhaustive_done);
    assert!(
        summary.runs > 100,
        "the search explored real schedules: {summary:?}"
    );
}

#[test]
fn the_exported_lesson_replays_the_counterexample_and_its_expectations_hold() {
    let setup = kip101(TruncationRule::HighWatermark);
    let b = bounds(&setup, 1, crashes(2));
    let found = explore(&setup, &b, &options(), |_| {})
        .expect("runs")
        .found
        .expect("found");
    let lesson = lesson(&setup, &found);
    assert_eq!(lesson.beats.len(), 4, "before, two faults, the end");
    let source = lesson_source(&lesson);
    let parsed = crate::lesson::parse("found.ron", &source)
        .unwrap_or_else(|e| panic!("{}\n{source}", e.render(false)));
    let mut player = Player::new(std::sync::Arc::new(parsed), None).expect("valid setup");
    let report = crate::report::run(&mut player, crate::sim::Lang::En);
    let expectations: Vec<_> = report.beats.iter().flat_map(|b| &b.expectations).collect();
    assert!(
        report.passed && !expectations.is_empty(),
        "{:?}\n{source}",
        report.error
    );
    let text = words(&setup, &found, crate::sim::Lang::En);
    assert!(
        text.contains("m1 was acknowledged to the producer and is lost"),
        "{text}"
    );
    assert!(text.contains("Fault 1 at t="), "{text}");
}

#[test]
fn random_schedules_are_reproducible_from_the_seed() {
    let setup = cluster(3, 3, 1, Acks::One);
    let b = Bounds {
        faults: 2,
        ..bounds(
            &setup,
            2,
            Budget {
                crashes: 1,
                power_cuts: 1,
                cuts: 1,
            },
        )
    };
    let plans: Vec<_> = (0..20).map(|i| random_plan(&setup, &b, 7, i)).collect();
    let again: Vec<_> = (0..20).map(|i| random_plan(&setup, &b, 7, i)).collect();
    assert_eq!(plans, again);
    assert!(plans.iter().any(|(_, p)| !p.is_empty()));
    let (_, plan) = plans.iter().find(|(_, p)| !p.is_empty()).expect("a plan");
    let (bounds, _) = &plans[0];
    let outcome = || {
        let (run, violations) = drive(&setup, bounds, plan, false).expect("runs");
        (run.world.fingerprint(), violations)
    };
    assert_eq!(outcome(), outcome());
}

#[test]
fn the_random_phase_finds_the_acks_one_loss_and_shrinks_it_to_one_fault() {
    let setup = cluster(3, 3, 1, Acks::One);
    // Depth 1: the exhaustive phase can only strike before the first send, which loses nothing.
    let b = Bounds {
        depth: 1,
        ..bounds(
            &setup,
            1,
            Budget {
                crashes: 2,
                power_cuts: 1,
                cuts: 0,
            },
        )
    };
    let opts = Options {
        random_time: Duration::from_secs(3600),
        random_runs: Some(2_000),
        ..options()
    };
    let found = explore(&setup, &b, &opts, |_| {})
        .expect("runs")
        .found
        .expect("found at random");
    assert!(matches!(found.phase, Phase::Random { .. }));
    assert_eq!(found.plan.len(), 1, "shrunk: {:?}", found.plan);
    let again = explore(&setup, &b, &opts, |_| {})
        .expect("runs")
        .found
        .expect("found");
    assert_eq!(
        again.plan, found.plan,
        "the lowest failing index wins, whatever the threads did"
    );
}

#[test]
fn a_reported_schedule_replays_to_the_very_state_the_search_ended_in() {
    // The first recovers at once, the second after a delay (a `RunTo` in the replay).
    for (setup, budget) in [
        (kip101(TruncationRule::HighWatermark), crashes(2)),
        (cluster(3, 3, 1, Acks::One), crashes(1)),
    ] {
        let b = bounds(&setup, 2, budget);
        let found = explore(&setup, &b, &options(), |_| {})
            .expect("runs")
            .found
            .expect("found");
        let (run, violations) = drive(&setup, &found.bounds, &found.plan, true).expect("runs");
        assert_eq!(run.world.fingerprint(), found.end_state);
        assert_eq!(violations, found.violations);
    }
}

#[test]
fn deduplication_does_not_change_what_is_found() {
    let setup = kip101(TruncationRule::HighWatermark);
    let b = bounds(&setup, 1, crashes(2));
    let with = explore(&setup, &b, &options(), |_| {}).expect("runs");
    let without = explore(
        &setup,
        &b,
        &Options {
            dedup: false,
            ..options()
        },
        |_| {},
    )
    .expect("runs");
    assert_eq!(with.found.map(|f| f.plan), without.found.map(|f| f.plan));
    assert_eq!(without.skipped, 0);
}

#[test]
fn the_random_phase_reports_the_same_schedule_on_one_thread_or_two() {
    let setup = cluster(3, 3, 1, Acks::One);
    let b = Bounds {
        depth: 1,
        ..bounds(
            &setup,
            1,
            Budget {
                crashes: 2,
                power_cuts: 1,
                cuts: 0,
            },
        )
    };
    let run = |threads| {
        let opts = Options {
            threads,
            random_time: Duration::from_secs(3600),
            random_runs: Some(500),
            ..options()
        };
        explore(&setup, &b, &opts, |_| {})
            .expect("runs")
            .found
            .map(|f| (f.phase, f.plan))
    };
    let one = run(1);
    assert!(one.is_some());
    assert_eq!(one, run(2));
}
