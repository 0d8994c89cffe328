//! Property tests over random fault schedules: the invariants hold on every step, acks=all with
//! RF=3 and min.insync.replicas=2 never loses an acknowledged message when failures come one at a
//! time, runs are deterministic, and stepping back restores the exact state.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use super::cluster::CutScope;
use super::command::Command;
use super::config::{Acks, Setup};
use super::config::{CommitStyle, ConsumerSetup, OffsetReset};
use super::history::Sim;
use super::invariants::{acked_losses, duplicates, replication_violations};
use super::message::SendStatus;
use super::testkit::setup;
use super::types::{BrokerId, ConsumerId, ProducerId};
use super::world::World;

/// One move of a fault schedule.
#[derive(Clone, Debug)]
enum Op {
    Produce(u8),
    Run(u32),
    Crash(u16),
    PowerCut(u16),
    Shutdown(u16),
    Restart(u16),
    CutOff(u16, CutScope),
    Heal(u16),
    Fsync(u16),
    KillProducer,
    RestartProducer,
    KillConsumer,
    RestartConsumer,
}

fn op(brokers: u16) -> impl Strategy<Value = Op> {
    let broker = 1..=brokers;
    let scope = prop_oneof![
        Just(CutScope::Everyone),
        Just(CutScope::Cluster),
        Just(CutScope::Brokers)
    ];
    prop_oneof![
        4 => (1u8..4).prop_map(Op::Produce),
        6 => prop_oneof![1u32..20, 400u32..1_500, 9_000u32..40_000].prop_map(Op::Run),
        2 => broker.clone().prop_map(Op::Crash),
        1 => broker.clone().prop_map(Op::PowerCut),
        1 => broker.clone().prop_map(Op::Shutdown),
        3 => broker.clone().prop_map(Op::Restart),
        1 => (broker.clone(), scope).prop_map(|(b, s)| Op::CutOff(b, s)),
        2 => broker.clone().prop_map(Op::Heal),
        1 => broker.prop_map(Op::Fsync),
    ]
}

/// Schedules that also kill and restart the producer and consumer applications.
fn client_schedule(brokers: u16) -> impl Strategy<Value = Vec<Op>> {
    let client = prop_oneof![
        Just(Op::KillProducer),
        Just(Op::RestartProducer),
        Just(Op::KillConsumer),
        Just(Op::RestartConsumer),
    ];
    prop::collection::vec(prop_oneof![4 => op(brokers), 1 => client], 1..50)
}

fn schedule(brokers: u16) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(brokers), 1..40)
}

/// How faults may combine in a run.
#[derive(Copy, Clone)]
struct Limits {
    /// At most one broker down (stopped, cut off, or not yet back in sync) at any moment.
    one_down_at_a_time: bool,
    /// Power cuts allowed over the whole run.
    power_cuts: u32,
}

/// A broker is down from its failure until it is back in the ISR of every partition it
/// replicates: the n-1 guarantee assumes a failed replica recovers before the next one fails.
fn is_down(world: &World, broker: BrokerId) -> bool {
    let b = world.broker(broker);
    let out_of_some_isr = world
        .partitions()
        .iter()
        .any(|p| p.assignment.contains(&broker) && !p.controller.isr.contains(broker));
    !b.is_registered() || b.cut_off.is_some() || out_of_some_isr
}

/// Plays a schedule, calling `check` after every command and every engine step.
fn play(
    sim: &mut Sim,
    ops: &[Op],
    limits: Limits,
    check: &mut dyn FnMut(&World) -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    let mut power_cuts = 0;
    for op in ops {
        let world = sim.world();
        let others_down = |b: u16| {
            world
                .brokers()
                .iter()
                .any(|x| x.id != BrokerId(b) && is_down(world, x.id))
        };
        let may_fail = |b: u16| !limits.one_down_at_a_time || !others_down(b);
        let command = match *op {
            Op::Produce(n) => {
                for _ in 0..n {
                    let _ = sim.apply(Command::Produce {
                        producer: ProducerId(0),
                        name: None,
                        partition: None,
                    });
                }
                None
            }
            Op::Run(ms) => {
                let until = sim.now() + u64::from(ms);
                let mut guard = 0u32;
                while sim.world().next_due().is_some_and(|t| t <= until) {
                    sim.step_within(until);
                    check(sim.world())?;
                    guard += 1;
                    prop_assert!(
                        guard < 100_000,
                        "runaway at t={}: {:?}",
                        sim.now(),
                        sim.world().queue.items().first()
                    );
                }
                sim.advance_to(until);
                None
            }
            Op::Crash(b) if may_fail(b) => Some(Command::CrashProcess(BrokerId(b))),
            Op::PowerCut(b) if may_fail(b) && power_cuts < limits.power_cuts => {
                power_cuts += 1;
                Some(Command::CutPower(BrokerId(b)))
            }
            Op::Shutdown(b) if may_fail(b) => Some(Command::ShutDown(BrokerId(b))),
            Op::CutOff(b, scope) if may_fail(b) => Some(Command::CutOff {
                broker: BrokerId(b),
                scope,
            }),
            Op::Restart(b) => Some(Command::Restart(BrokerId(b))),
            Op::Heal(b) => Some(Command::Heal(BrokerId(b))),
            Op::Fsync(b) => Some(Command::Fsync(BrokerId(b))),
            Op::KillProducer => Some(Command::KillProducer(ProducerId(0))),
            Op::RestartProducer => Some(Command::RestartProducer(ProducerId(0))),
            Op::KillConsumer if !world.consumers().is_empty() => {
                Some(Command::KillConsumer(ConsumerId(0)))
            }
            Op::RestartConsumer if !world.consumers().is_empty() => {
                Some(Command::RestartConsumer(ConsumerId(0)))
            }
            _ => None,
        };
        if let Some(command) = command {
            // Commands that do not apply now (restart a running broker…) are simply skipped.
            if sim.apply(command).is_ok() {
                check(sim.world())?;
            }
        }
    }
    Ok(())
}

/// Brings every broker and client back and lets the cluster settle.
fn recover_everything(sim: &mut Sim) {
    let brokers: Vec<BrokerId> = sim.world().brokers().iter().map(|b| b.id).collect();
    for b in brokers {
        let _ = sim.apply(Command::Heal(b));
        let _ = sim.apply(Command::Restart(b));
    }
    let _ = sim.apply(Command::RestartProducer(ProducerId(0)));
    if !sim.world().consumers().is_empty() {
        let _ = sim.apply(Command::RestartConsumer(ConsumerId(0)));
    }
    sim.run_for(300_000);
}

fn replication_ok(world: &World) -> Result<(), TestCaseError> {
    let violations = replication_violations(world);
    prop_assert!(
        violations.is_empty(),
        "at t={}: {}",
        world.now(),
        violations[0]
    );
    Ok(())
}

fn safe_setup() -> Setup {
    setup(3, 3, 2, Acks::All)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // Shrunk failures are kept beside this file and replayed first.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    /// On every step of any fault schedule: the leader is in the ISR, its HW is never above a
    /// running ISR member's LEO, and records below the HW are identical on ISR members.
    #[test]
    fn replication_invariants_hold_under_any_faults(ops in schedule(3), min_isr in 1u16..=2, acks in prop_oneof![Just(Acks::One), Just(Acks::All)]) {
        let mut sim = Sim::new(&setup(3, 3, min_isr, acks)).expect("valid");
        play(&mut sim, &ops, Limits { one_down_at_a_time: false, power_cuts: u32::MAX }, &mut replication_ok)?;
        recover_everything(&mut sim);
        replication_ok(sim.world())?;
    }

    /// acks=all, RF=3, min.insync.replicas=2, unclean off, one broker down at a time and at most one
    /// power cut: no acknowledged message is ever lost.
    #[test]
    fn acks_all_with_min_isr_two_never_loses_acked_messages(ops in schedule(3)) {
        let mut sim = Sim::new(&safe_setup()).expect("valid");
        let mut no_loss = |world: &World| {
            replication_ok(world)?;
            let lost = acked_losses(world);
            prop_assert!(lost.is_empty(), "at t={}: {}", world.now(), lost[0]);
            Ok(())
        };
        play(&mut sim, &ops, Limits { one_down_at_a_time: true, power_cuts: 1 }, &mut no_loss)?;
        recover_everything(&mut sim);
        no_loss(sim.world())?;
    }

    /// The same schedule and seed give the same events, byte for byte, and the same final state.
    #[test]
    fn runs_are_deterministic(ops in schedule(3), seed in any::<u64>()) {
        let mut s = safe_setup();
        s.seed = seed;
        s.broker.network_jitter_ms = 3;
        let run = || {
            let mut sim = Sim::new(&s).expect("valid");
            play(&mut sim, &ops, Limits { one_down_at_a_time: false, power_cuts: u32::MAX }, &mut |_| Ok(())).expect("no checks");
            sim
        };
        let (a, b) = (run(), run());
        prop_assert_eq!(a.events(), b.events());
        prop_assert!(a.world() == b.world());
    }

    /// Stepping back N times from any point restores exactly the state of N steps earlier.
    #[test]
    fn step_back_restores_the_exact_state(ops in schedule(3), back in 1usize..60) {
        let mut sim = Sim::new(&safe_setup()).expect("valid");
        play(&mut sim, &ops, Limits { one_down_at_a_time: false, power_cuts: u32::MAX }, &mut |_| Ok(()))?;
        // The state just before each event group, to compare with after undoing that group.
        let mut before = Vec::new();
        for _ in 0..back {
            let snapshot = (sim.world().clone(), sim.events().len());
            if !sim.step() {
                break;
            }
            before.push(snapshot);
        }
        while let Some((world, events)) = before.pop() {
            prop_assert!(sim.step_back());
            prop_assert!(sim.world() == &world, "state differs {} steps back", before.len() + 1);
            prop_assert_eq!(sim.events().len(), events);
        }
    }

    /// With idempotence on and one broker failure at a time, no message is ever twice in the log
    /// (as long as the application does not resend through a new producer session).
    #[test]
    fn idempotent_producer_never_duplicates(ops in schedule(3)) {
        let mut sim = Sim::new(&safe_setup()).expect("valid");
        let mut no_duplicates = |world: &World| {
            let dup = duplicates(world);
            prop_assert!(dup.is_empty(), "at t={}: {}", world.now(), dup[0]);
            Ok(())
        };
        play(&mut sim, &ops, Limits { one_down_at_a_time: true, power_cuts: 1 }, &mut no_duplicates)?;
        recover_everything(&mut sim);
        no_duplicates(sim.world())?;
    }

    /// Committing after processing (`commitSync()` at the end of the batch) never skips a message,
    /// whatever crashes the consumer or the brokers go through.
    #[test]
    fn commit_after_processing_never_skips(ops in client_schedule(3), processing_ms in 0u64..1_500) {
        let mut s = safe_setup();
        s.consumers = vec![ConsumerSetup {
            commit: CommitStyle::SyncAfterProcessing,
            auto_offset_reset: OffsetReset::Earliest,
            max_poll_records: 3,
            processing_ms,
            ..ConsumerSetup::default()
        }];
        let mut sim = Sim::new(&s).expect("valid");
        let mut never_skips = |world: &World| {
            let ledger = world.ledger();
            let skipped = ledger.entries.iter().find(|e| e.skipped);
            prop_assert!(skipped.is_none(), "at t={}: {} skipped", world.now(), skipped.map_or("", |e| e.name.as_str()));
            Ok(())
        };
        play(&mut sim, &ops, Limits { one_down_at_a_time: true, power_cuts: 0 }, &mut never_skips)?;
        recover_everything(&mut sim);
        never_skips(sim.world())?;
    }

    /// With the local spool, everything the application produced reaches the log even if its
    /// process is killed any number of times.
    #[test]
    fn spooled_messages_survive_producer_kills(ops in client_schedule(3)) {
        let mut s = safe_setup();
        s.producers[0].spool = true;
        let mut sim = Sim::new(&s).expect("valid");
        play(&mut sim, &ops, Limits { one_down_at_a_time: true, power_cuts: 0 }, &mut |_| Ok(()))?;
        recover_everything(&mut sim);
        let world = sim.world();
        let ledger = world.ledger();
        for entry in &ledger.entries {
            let status = world.messages()[entry.message.index()].status;
            prop_assert!(!entry.log_offsets.is_empty(), "{} ({status:?}) never reached the log", entry.name);
            prop_assert!(!matches!(status, SendStatus::LostInBuffer));
        }
    }
}
