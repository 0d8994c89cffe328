//! Commands: everything a learner, a lesson or the CLI can do to the world. One API for all three.

use serde::{Deserialize, Serialize};

use super::cluster::CutScope;
use super::consumer::ConsumerError;
use super::faults::{FaultError, RackFault};
use super::producer::ProducerError;
use super::types::{BrokerId, ConsumerId, MessageId, PartitionId, ProducerId};
use super::world::World;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// `kill -9` of a broker's process.
    CrashProcess(BrokerId),
    /// Power loss of a broker's machine.
    CutPower(BrokerId),
    /// Power loss of every machine at once.
    CutPowerEverywhere,
    /// Controlled shutdown (SIGTERM).
    ShutDown(BrokerId),
    Restart(BrokerId),
    CutOff {
        broker: BrokerId,
        scope: CutScope,
    },
    Heal(BrokerId),
    /// A fault that hits every broker of a rack (`broker.rack`) at the same instant.
    Rack {
        rack: String,
        fault: RackFault,
    },
    Fsync(BrokerId),
    Produce {
        producer: ProducerId,
        name: Option<String>,
        partition: Option<PartitionId>,
    },
    /// The application sends an earlier message again.
    Resend {
        producer: ProducerId,
        message: MessageId,
    },
    FlushProducer(ProducerId),
    CloseProducer(ProducerId),
    KillProducer(ProducerId),
    RestartProducer(ProducerId),
    /// One `poll()` of a consumer driven by hand.
    Poll(ConsumerId),
    /// Process the next `count` records a hand-driven consumer holds.
    Process {
        consumer: ConsumerId,
        count: u32,
    },
    /// `commitSync()` of everything polled so far.
    CommitSync(ConsumerId),
    /// The next record the consumer processes throws.
    FailNext(ConsumerId),
    KillConsumer(ConsumerId),
    RestartConsumer(ConsumerId),
    CloseConsumer(ConsumerId),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Fault(#[from] FaultError),
    #[error(transparent)]
    Producer(#[from] ProducerError),
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
}

impl World {
    /// Applies a command at the current time. On error nothing changed.
    pub fn apply(&mut self, command: &Command) -> Result<(), CommandError> {
        match command {
            Command::CrashProcess(b) => self.crash_process(*b)?,
            Command::CutPower(b) => self.cut_power(*b)?,
            Command::CutPowerEverywhere => self.cut_power_everywhere(),
            Command::ShutDown(b) => self.shut_down(*b)?,
            Command::Restart(b) => self.restart(*b)?,
            Command::CutOff { broker, scope } => self.cut_off(*broker, *scope)?,
            Command::Heal(b) => self.heal(*b)?,
            Command::Rack { rack, fault } => self.rack_fault(rack, *fault)?,
            Command::Fsync(b) => self.fsync(*b)?,
            Command::Produce {
                producer,
                name,
                partition,
            } => {
                self.produce(*producer, name.as_deref(), *partition)?;
            }
            Command::Resend { producer, message } => self.resend(*producer, *message)?,
            Command::FlushProducer(p) => self.flush_producer(*p, false)?,
            Command::CloseProducer(p) => self.flush_producer(*p, true)?,
            Command::KillProducer(p) => self.kill_producer(*p)?,
            Command::RestartProducer(p) => self.restart_producer(*p)?,
            Command::Poll(c) => self.poll_by_hand(*c)?,
            Command::Process { consumer, count } => self.process_by_hand(*consumer, *count)?,
            Command::CommitSync(c) => self.commit_by_hand(*c)?,
            Command::FailNext(c) => self.fail_next_record(*c)?,
            Command::KillConsumer(c) => self.kill_consumer(*c)?,
            Command::RestartConsumer(c) => self.restart_consumer(*c)?,
            Command::CloseConsumer(c) => self.close_consumer(*c)?,
        }
        Ok(())
    }
}
