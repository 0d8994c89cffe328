//! Turning lesson names into engine ids, lesson actions into commands, and checking facts.

use crate::sim::RackFault;
use crate::sim::cluster::ProcessState;
use crate::sim::event::Event;
use crate::sim::ledger::{Ledger, Verdict};
use crate::sim::message::SendStatus;
use crate::sim::{BrokerId, Command, ConsumerId, KafkaError, PartitionId, ProducerId, World};

use super::schema::{Action, BrokerStateName, ErrorName, Fact, VerdictName};

/// Resolves a name to an engine id, or says what is wrong with it.
pub struct Refs<'w> {
    pub world: &'w World,
}

impl Refs<'_> {
    pub fn producer(&self, name: Option<&str>) -> Result<ProducerId, String> {
        let producers = self.world.producers();
        match name {
            None => producers
                .first()
                .map(|p| p.id)
                .ok_or_else(|| "the setup has no producer".to_string()),
            Some(name) => producers
                .iter()
                .find(|p| &*p.name == name)
                .map(|p| p.id)
                .ok_or_else(|| format!("no producer named `{name}`")),
        }
    }

    pub fn consumer(&self, name: &str) -> Result<ConsumerId, String> {
        self.world
            .consumers()
            .iter()
            .find(|c| &*c.name == name)
            .map(|c| c.id)
            .ok_or_else(|| format!("no consumer named `{name}`"))
    }

    /// A partition by name (`orders-0`), or the only partition when the name is left out.
    pub fn partition(&self, name: Option<&str>) -> Result<PartitionId, String> {
        let partitions = self.world.partitions();
        match name {
            None if partitions.len() == 1 => Ok(partitions[0].id),
            None => Err(
                "the setup has several partitions: name one, e.g. `partition: \"orders-0\"`"
                    .to_string(),
            ),
            Some(name) => partitions
                .iter()
                .find(|p| &*p.name == name)
                .map(|p| p.id)
                .ok_or_else(|| format!("no partition named `{name}`")),
        }
    }

    pub fn broker(&self, number: u16) -> Result<BrokerId, String> {
        if number >= 1 && usize::from(number) <= self.world.brokers().len() {
            Ok(BrokerId(number))
        } else {
            Err(format!(
                "there is no broker {number}: brokers are 1..={}",
                self.world.brokers().len()
            ))
        }
    }

    pub fn rack(&self, name: &str) -> Result<String, String> {
        if self.world.rack_members(name).is_empty() {
            let mut racks: Vec<&str> = self
                .world
                .brokers()
                .iter()
                .filter_map(|b| b.rack.as_deref())
                .collect();
            racks.sort_unstable();
            racks.dedup();
            return Err(if racks.is_empty() {
                format!(
                    "no rack named `{name}`: the setup gives no broker a rack (`racks: [\"a\", \"b\", …]`)"
                )
            } else {
                format!("no rack named `{name}`: the racks are {}", racks.join(", "))
            });
        }
        Ok(name.to_string())
    }

    pub fn message(&self, name: &str) -> Result<crate::sim::MessageId, String> {
        self.world
            .messages()
            .iter()
            .find(|m| &*m.name == name)
            .map(|m| m.id)
            .ok_or_else(|| format!("no message named `{name}` has been produced yet"))
    }

    fn rack_command(&self, rack: &str, fault: RackFault) -> Result<Command, String> {
        Ok(Command::Rack {
            rack: self.rack(rack)?,
            fault,
        })
    }

    /// The engine command for an action that is one (everything but the run actions).
    pub fn command(&self, action: &Action) -> Result<Option<Command>, String> {
        Ok(Some(match action {
            Action::Produce {
                message,
                producer,
                partition,
            } => Command::Produce {
                producer: self.producer(producer.as_deref())?,
                name: Some(message.clone()),
                partition: partition
                    .as_deref()
                    .map(|p| self.partition(Some(p)))
                    .transpose()?,
            },
            Action::Resend { message, producer } => Command::Resend {
                producer: self.producer(producer.as_deref())?,
                message: self.message(message)?,
            },
            Action::ProduceMany { .. }
            | Action::RunFor(_)
            | Action::RunUntil(_)
            | Action::Step(_) => return Ok(None),
            Action::Crash(b) => Command::CrashProcess(self.broker(*b)?),
            Action::PowerCut(b) => Command::CutPower(self.broker(*b)?),
            Action::PowerCutAll => Command::CutPowerEverywhere,
            Action::Shutdown(b) => Command::ShutDown(self.broker(*b)?),
            Action::Restart(b) => Command::Restart(self.broker(*b)?),
            Action::CutOff { broker, from } => Command::CutOff {
                broker: self.broker(*broker)?,
                scope: *from,
            },
            Action::Heal(b) => Command::Heal(self.broker(*b)?),
            Action::PowerCutRack(rack) => self.rack_command(rack, RackFault::CutPower)?,
            Action::RestartRack(rack) => self.rack_command(rack, RackFault::Restart)?,
            Action::CutOffRack(rack) => self.rack_command(rack, RackFault::CutOff)?,
            Action::HealRack(rack) => self.rack_command(rack, RackFault::Heal)?,
            Action::Fsync(b) => Command::Fsync(self.broker(*b)?),
            Action::KillProducer(p) => Command::KillProducer(self.producer(Some(p))?),
            Action::RestartProducer(p) => Command::RestartProducer(self.producer(Some(p))?),
            Action::Flush(p) => Command::FlushProducer(self.producer(Some(p))?),
            Action::Close(p) => Command::CloseProducer(self.producer(Some(p))?),
            Action::Poll(c) => Command::Poll(self.consumer(c)?),
            Action::Process { consumer, count } => Command::Process {
                consumer: self.consumer(consumer)?,
                count: *count,
            },
            Action::FailNext(c) => Command::FailNext(self.consumer(c)?),
            Action::CommitSync(c) => Command::CommitSync(self.consumer(c)?),
            Action::KillConsumer(c) => Command::KillConsumer(self.consumer(c)?),
            Action::RestartConsumer(c) => Command::RestartConsumer(self.consumer(c)?),
            Action::CloseConsumer(c) => Command::CloseConsumer(self.consumer(c)?),
        }))
    }
}

/// Whether a fact holds, and what the world actually shows (for messages when it does not).
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub holds: bool,
    pub actual: String,
}

impl Outcome {
    fn of(holds: bool, actual: impl Into<String>) -> Self {
        Outcome {
            holds,
            actual: actual.into(),
        }
    }
}

pub fn verdict_of(name: VerdictName) -> Verdict {
    match name {
        VerdictName::Safe => Verdict::Safe,
        VerdictName::AtRisk => Verdict::AtRisk,
        VerdictName::AckedLost => Verdict::AckedLost,
        VerdictName::Pending => Verdict::Pending,
        VerdictName::NotAcked => Verdict::NotAcked,
        VerdictName::InDoubt => Verdict::InDoubt,
        VerdictName::LostInProducer => Verdict::LostInProducer,
    }
}

pub fn error_of(name: ErrorName) -> KafkaError {
    match name {
        ErrorName::NotLeaderOrFollower => KafkaError::NotLeaderOrFollower,
        ErrorName::NotEnoughReplicas => KafkaError::NotEnoughReplicas,
        ErrorName::NotEnoughReplicasAfterAppend => KafkaError::NotEnoughReplicasAfterAppend,
        ErrorName::RequestTimedOut => KafkaError::RequestTimedOut,
        ErrorName::NetworkException => KafkaError::NetworkException,
        ErrorName::OutOfOrderSequenceNumber => KafkaError::OutOfOrderSequenceNumber,
        ErrorName::BufferExhausted => KafkaError::BufferExhausted,
        ErrorName::DeliveryTimeout => KafkaError::DeliveryTimeout,
        ErrorName::ProducerClosed => KafkaError::ProducerClosed,
        ErrorName::CommitFailed => KafkaError::CommitFailed,
    }
}

fn process_state_of(name: BrokerStateName) -> ProcessState {
    match name {
        BrokerStateName::Running => ProcessState::Running,
        BrokerStateName::Crashed => ProcessState::Crashed,
        BrokerStateName::PoweredOff => ProcessState::PoweredOff,
        BrokerStateName::Stopped => ProcessState::Stopped,
    }
}

fn brokers_words(brokers: impl Iterator<Item = BrokerId>) -> String {
    let list: Vec<String> = brokers.map(|b| b.0.to_string()).collect();
    format!("[{}]", list.join(", "))
}

/// Checks a fact against the world. `ledger` is computed once per batch of checks.
#[allow(clippy::too_many_lines)] // one arm per kind of fact
/// Checks `fact` against the world; `events` is the run so far (rate metrics count them).
pub fn check(
    fact: &Fact,
    world: &World,
    events: &[Event],
    ledger: &Ledger,
) -> Result<Outcome, String> {
    let refs = Refs { world };
    let entry = |name: &str| -> Result<&crate::sim::LedgerEntry, String> {
        let id = refs.message(name)?;
        ledger
            .entry(id)
            .ok_or_else(|| format!("`{name}` is not in the ledger"))
    };
    let status_words = |name: &str| -> Result<String, String> {
        Ok(format!(
            "{:?}",
            world.messages()[refs.message(name)?.index()].status
        ))
    };
    let replica = |broker: u16,
                   partition: &Option<String>|
     -> Result<&crate::sim::cluster::Replica, String> {
        let p = refs.partition(partition.as_deref())?;
        let b = refs.broker(broker)?;
        world
            .partition(p)
            .replica(b)
            .ok_or_else(|| format!("B{broker} holds no replica of {}", world.partition(p).name))
    };
    Ok(match fact {
        Fact::Acked(m) => {
            let status = world.messages()[refs.message(m)?.index()].status;
            Outcome::of(matches!(status, SendStatus::Acked { .. }), status_words(m)?)
        }
        Fact::Failed(m) => {
            let status = world.messages()[refs.message(m)?.index()].status;
            Outcome::of(
                matches!(status, SendStatus::Failed { .. }),
                status_words(m)?,
            )
        }
        Fact::FailedWith { message, error } => {
            let status = world.messages()[refs.message(message)?.index()].status;
            Outcome::of(
                status
                    == SendStatus::Failed {
                        error: error_of(*error),
                    },
                status_words(message)?,
            )
        }
        Fact::Verdict { message, is } => {
            let verdict = entry(message)?.verdict;
            Outcome::of(verdict == verdict_of(*is), format!("{verdict:?}"))
        }
        Fact::OnBroker { message, broker } => {
            let e = entry(message)?;
            let b = refs.broker(*broker)?;
            Outcome::of(
                e.copies.iter().any(|c| c.broker == b),
                format!("on {}", brokers_words(e.copies.iter().map(|c| c.broker))),
            )
        }
        Fact::OnDisk { message, broker } => {
            let e = entry(message)?;
            let b = refs.broker(*broker)?;
            let on_disk = e.copies.iter().filter(|c| c.on_disk).map(|c| c.broker);
            Outcome::of(
                e.copies.iter().any(|c| c.broker == b && c.on_disk),
                format!("on disk of {}", brokers_words(on_disk)),
            )
        }
        Fact::Duplicated(m) => {
            let e = entry(m)?;
            Outcome::of(
                e.is_duplicated(),
                format!("{} cop(ies) in the log", e.log_offsets.len()),
            )
        }
        Fact::Leader { partition, is } => {
            let p = world.partition(refs.partition(partition.as_deref())?);
            let leader = p.controller.leader;
            Outcome::of(
                leader == Some(refs.broker(*is)?),
                leader.map_or("no leader".to_string(), |l| format!("leader {l}")),
            )
        }
        Fact::Offline { partition } => {
            let p = world.partition(refs.partition(partition.as_deref())?);
            let leader = p.controller.leader;
            Outcome::of(
                leader.is_none(),
                leader.map_or("no leader".to_string(), |l| format!("leader {l}")),
            )
        }
        Fact::Isr { partition, is } => {
            let p = world.partition(refs.partition(partition.as_deref())?);
            let want = crate::sim::BrokerSet::of(is.iter().map(|&b| BrokerId(b)));
            Outcome::of(
                p.controller.isr == want,
                format!("ISR {}", p.controller.isr),
            )
        }
        Fact::Hw {
            broker,
            partition,
            is,
        } => {
            let hw = replica(*broker, partition)?.high_watermark;
            Outcome::of(hw == *is, format!("HW {hw}"))
        }
        Fact::HwAtLeast {
            broker,
            partition,
            is,
        } => {
            let hw = replica(*broker, partition)?.high_watermark;
            Outcome::of(hw >= *is, format!("HW {hw}"))
        }
        Fact::Leo {
            broker,
            partition,
            is,
        } => {
            let leo = replica(*broker, partition)?.log.end_offset();
            Outcome::of(leo == *is, format!("LEO {leo}"))
        }
        Fact::Log {
            broker,
            partition,
            is,
        } => {
            let names = world.names_in(&replica(*broker, partition)?.log);
            let holds = names == *is;
            Outcome::of(holds, format!("[{}]", names.join(", ")))
        }
        Fact::BrokerIs { broker, is } => {
            let state = world.broker(refs.broker(*broker)?).process;
            Outcome::of(state == process_state_of(*is), format!("{state:?}"))
        }
        Fact::Delivered { message, times } => {
            let n = entry(message)?.delivered;
            Outcome::of(n == *times, format!("delivered {n} time(s)"))
        }
        Fact::Processed { message, times } => {
            let n = entry(message)?.processed;
            Outcome::of(n == *times, format!("processed {n} time(s)"))
        }
        Fact::Skipped(m) => {
            let e = entry(m)?;
            Outcome::of(e.skipped, if e.skipped { "skipped" } else { "not skipped" })
        }
        Fact::CommittedOffset {
            group,
            partition,
            is,
        } => {
            let p = refs.partition(partition.as_deref())?;
            let committed = world.coordinator().committed(group, p);
            Outcome::of(
                committed == *is,
                committed.map_or("nothing committed".to_string(), |c| {
                    format!("committed {c}")
                }),
            )
        }
        Fact::AckedAt { message, offset } => {
            let status = world.messages()[refs.message(message)?.index()].status;
            Outcome::of(
                status
                    == SendStatus::Acked {
                        offset: Some(*offset),
                    },
                status_words(message)?,
            )
        }
        Fact::SawError { message, error } => {
            let info = &world.messages()[refs.message(message)?.index()];
            Outcome::of(
                info.saw(error_of(*error)),
                format!("errors seen: {:#x}", info.errors_seen),
            )
        }
        Fact::Attempts { message, at_least } => {
            let attempts = world.messages()[refs.message(message)?.index()].attempts;
            Outcome::of(attempts >= *at_least, format!("{attempts} attempt(s)"))
        }
        Fact::LeaderEpoch { partition, is } => {
            let epoch = world
                .partition(refs.partition(partition.as_deref())?)
                .controller
                .leader_epoch;
            Outcome::of(epoch == *is, format!("epoch {epoch}"))
        }
        Fact::CommitFailed(consumer) => {
            let failures = world.consumers()[refs.consumer(consumer)?.index()].commit_failures;
            Outcome::of(failures > 0, format!("{failures} failed commit(s)"))
        }
        Fact::Assigned {
            consumer,
            partition,
        } => {
            let c = &world.consumers()[refs.consumer(consumer)?.index()];
            let p = refs.partition(partition.as_deref())?;
            let owned: Vec<&str> = c
                .assigned
                .iter()
                .map(|&q| &*world.partition(q).name)
                .collect();
            Outcome::of(
                c.assigned.contains(&p),
                format!("assigned [{}]", owned.join(", ")),
            )
        }
        Fact::Not(inner) => {
            let outcome = check(inner, world, events, ledger)?;
            Outcome::of(!outcome.holds, outcome.actual)
        }
        Fact::Metric { name, is } => {
            let value = crate::sim::metrics::metric(world, events, name)
                .ok_or_else(|| format!("no metric named `{name}`"))?;
            Outcome::of((value - is).abs() < 1e-9, format!("{name} = {value}"))
        }
    })
}
