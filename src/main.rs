//! ackscope's command line. Until the terminal UI lands, it plays a built-in scenario and prints
//! its transcript and ledger.

use ackscope::sim::{BrokerId, Command, Lang, ProducerId, Setup, Sim, describe_group};

fn main() {
    let mut setup = Setup::default();
    setup.topics[0].min_insync_replicas = 2;
    setup.producers[0].acks = ackscope::sim::Acks::One;
    let mut sim = Sim::new(&setup).expect("the built-in setup is valid");
    let produce = |sim: &mut Sim, name: &str| {
        sim.apply(Command::Produce {
            producer: ProducerId(0),
            name: Some(name.into()),
            partition: None,
        })
        .expect("the producer is running");
    };
    produce(&mut sim, "m1");
    sim.run_until(10_000, |w| {
        w.messages()
            .first()
            .is_some_and(ackscope::sim::message::MessageInfo::is_acked)
    });
    sim.apply(Command::CrashProcess(BrokerId(1)))
        .expect("B1 is running");
    sim.run_for(10_000);
    produce(&mut sim, "m2");
    sim.run_for(1_000);
    sim.apply(Command::Restart(BrokerId(1)))
        .expect("B1 is down");
    sim.run_for(1_000);
    println!("acks=1: the leader crashes right after acknowledging m1\n");
    let events = sim.events();
    let mut start = 0;
    while start < events.len() {
        let step = events[start].step;
        let end = events[start..]
            .iter()
            .position(|e| e.step != step)
            .map_or(events.len(), |n| start + n);
        let kinds: Vec<_> = events[start..end].iter().map(|e| e.kind).collect();
        println!(
            "[{:>6} ms] {}",
            events[start].time,
            describe_group(&kinds, sim.world(), Lang::En)
        );
        start = end;
    }
    println!("\nledger:");
    for entry in sim.world().ledger().entries {
        println!("  {:<4} {}", entry.name, entry.verdict.label(Lang::En));
    }
}
