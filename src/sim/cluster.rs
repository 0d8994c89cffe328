//! Brokers, partitions, replicas and the controller's view: the state the replication protocol acts on.

use std::sync::Arc;

use super::config::TopicSetup;
use super::log::Log;
use super::types::{BrokerId, BrokerSet, Epoch, Offset, PartitionId, ProducerId, Time};
use super::world::QueueKey;

/// Whether a broker's process is up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProcessState {
    Running,
    /// `kill -9` or a JVM crash: the process is gone, the OS (and its page cache) is not.
    Crashed,
    /// The machine lost power: the page cache is gone too.
    PoweredOff,
    /// Controlled shutdown: leadership moved away, logs fsync'd, clean-shutdown marker written.
    Stopped,
}

impl ProcessState {
    pub fn is_running(self) -> bool {
        self == ProcessState::Running
    }
}

/// Who can still reach a broker over the network.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CutScope {
    /// Cut off from everyone: other brokers, the controller and clients.
    Everyone,
    /// Cut off from the other brokers and the controller; clients still reach it (a zombie leader).
    Cluster,
    /// Only the links to other brokers are cut: it still heartbeats to the controller and serves
    /// clients, but cannot replicate (a stalled follower).
    Brokers,
}

impl CutScope {
    /// Whether a cut of this scope includes every link a cut of `other` does.
    pub fn covers(self, other: CutScope) -> bool {
        let width = |scope| match scope {
            CutScope::Brokers => 0,
            CutScope::Cluster => 1,
            CutScope::Everyone => 2,
        };
        width(self) >= width(other)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    pub id: BrokerId,
    pub rack: Option<Arc<str>>,
    pub process: ProcessState,
    pub cut_off: Option<CutScope>,
    /// Bumped at every start; the controller tells incarnations apart (KIP-903 broker epoch).
    pub incarnation: u32,
    /// The incarnation the controller has registered: until a restarted broker reaches the
    /// controller, the ISR still refers to its previous incarnation.
    pub registered_incarnation: u32,
    /// Whether the last stop wrote the clean-shutdown marker (no log recovery needed).
    pub clean_shutdown: bool,
    /// The controller's view of this broker.
    pub fenced: bool,
    /// Pending session expiry at the controller, while the broker is silent.
    pub session_expiry: Option<QueueKey>,
    /// Pending OS write-back wake-up.
    pub writeback: Option<QueueKey>,
}

impl Broker {
    pub fn is_running(&self) -> bool {
        self.process.is_running()
    }

    /// Running, and the incarnation the controller knows.
    pub fn is_registered(&self) -> bool {
        self.is_running() && self.incarnation == self.registered_incarnation
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    pub config: TopicSetup,
    pub name: Arc<str>,
    pub first_partition: PartitionId,
}

/// A partition: its replicas in assignment order, and the controller's record of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub id: PartitionId,
    pub topic: usize,
    pub index: u32,
    /// `orders-0`.
    pub name: Arc<str>,
    /// Replica assignment; the first is the preferred leader.
    pub assignment: Vec<BrokerId>,
    /// One replica per assigned broker, same order as `assignment`.
    pub replicas: Vec<Replica>,
    pub controller: ControllerRecord,
}

impl Partition {
    pub fn replica(&self, broker: BrokerId) -> Option<&Replica> {
        self.replicas.iter().find(|r| r.broker == broker)
    }

    pub fn replica_mut(&mut self, broker: BrokerId) -> Option<&mut Replica> {
        self.replicas.iter_mut().find(|r| r.broker == broker)
    }

    /// The replica the controller names as leader.
    pub fn leader_replica(&self) -> Option<&Replica> {
        self.controller.leader.and_then(|b| self.replica(b))
    }
}

/// What the controller (KRaft quorum, always available here) records for a partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerRecord {
    pub leader: Option<BrokerId>,
    pub leader_epoch: Epoch,
    /// Bumped on every change, leader or ISR; fences stale AlterPartition requests.
    pub partition_epoch: u32,
    pub isr: BrokerSet,
    /// KIP-704: set after an unclean election until the new leader has recovered.
    pub recovering: bool,
}

/// A broker's copy of a partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    pub broker: BrokerId,
    pub log: Log,
    pub high_watermark: Offset,
    /// HW as of the last checkpoint tick (`replication-offset-checkpoint`), what a restart reads.
    pub hw_at_last_tick: Offset,
    pub hw_changed_at: Time,
    pub role: Role,
    /// The leader epoch this replica believes current.
    pub leader_epoch: Epoch,
    pub fetcher: Fetcher,
    /// Pending `flush.ms` deadline.
    pub flush_timer: Option<QueueKey>,
}

/// What a replica believes it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Not told anything yet, or its broker is down.
    Unassigned,
    Leader(Box<LeaderState>),
    /// Following `leader`; `None` while the partition has no leader.
    Follower {
        leader: Option<BrokerId>,
    },
}

impl Role {
    pub fn is_leader(&self) -> bool {
        matches!(self, Role::Leader(_))
    }

    pub fn leader_state(&self) -> Option<&LeaderState> {
        match self {
            Role::Leader(state) => Some(state),
            _ => None,
        }
    }

    pub fn leader_state_mut(&mut self) -> Option<&mut LeaderState> {
        match self {
            Role::Leader(state) => Some(state),
            _ => None,
        }
    }
}

/// State only a leader keeps (`Partition` + `Replica` objects of the leader in Kafka).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderState {
    /// The ISR as this leader last learned it from the controller.
    pub isr: BrokerSet,
    pub partition_epoch: u32,
    /// Where this leader's epoch starts in its log (KIP-320: followers must reach it to rejoin the ISR).
    pub epoch_start: Offset,
    pub since: Time,
    pub followers: Vec<FollowerView>,
    /// acks=all requests waiting for the HW (`DelayedProduce` purgatory).
    pub delayed_produce: Vec<DelayedProduce>,
    /// The purgatory's timer, at the earliest deadline.
    pub purgatory_timer: Option<QueueKey>,
    /// Pending ISR-expiration check (`isr-expiration` task, every replica.lag.time.max.ms / 2).
    pub isr_check: Option<QueueKey>,
    /// An AlterPartition that could not reach the controller.
    pub alter_blocked: bool,
}

impl LeaderState {
    pub fn follower(&self, broker: BrokerId) -> Option<&FollowerView> {
        self.followers.iter().find(|f| f.broker == broker)
    }

    pub fn follower_mut(&mut self, broker: BrokerId) -> Option<&mut FollowerView> {
        self.followers.iter_mut().find(|f| f.broker == broker)
    }
}

/// The leader's knowledge of one follower (`ReplicaState` in `Replica.scala`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowerView {
    pub broker: BrokerId,
    /// The follower's LEO as of its last fetch (the fetch offset is its acknowledgement); unknown
    /// right after an election.
    pub log_end_offset: Option<Offset>,
    pub last_fetch_time: Time,
    pub last_fetch_leader_end: Offset,
    pub last_caught_up_time: Time,
    /// A fetch with nothing to return waits here (long poll).
    pub parked: Option<ParkedFetch>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParkedFetch {
    pub since: Time,
    pub fetch_offset: Offset,
    /// HW carried by the last response, so a new HW is delivered when the wait expires.
    pub hw_sent: Offset,
    pub timeout: Option<QueueKey>,
}

/// An acks=all produce request waiting for the high watermark.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DelayedProduce {
    pub producer: ProducerId,
    pub request: u64,
    pub first_offset: Offset,
    pub last_offset: Offset,
    /// When the request times out with REQUEST_TIMED_OUT.
    pub deadline: Time,
    /// The request's own timeout (its `request.timeout.ms`).
    pub timeout_ms: u32,
}

/// A follower's replica fetcher for one partition.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fetcher {
    /// Not fetching: leader, no leader known, or broker down.
    Idle,
    /// A fetch request or its response is on the wire, or the request waits at the leader.
    Fetching,
    /// The leader cannot be reached; resumes when the network or the leader changes.
    Stalled,
    /// Waiting `replica.fetch.backoff.ms` after an error.
    Backoff(QueueKey),
}
