//! Kafka's metrics over simulated time, for the metrics pane.
//!
//! The engine computes a metric's value *now*; it keeps no metric history. The TUI samples the
//! tracked metrics after every update that may have moved the simulation, keyed by where in
//! history the sample was taken (events so far and simulated time). Stepping back drops the
//! samples of the undone future, so the pane after an undo is exactly the pane before the step.

use crate::sim::metrics::{BROKER_METRICS, CONSUMER_METRICS, PRODUCER_METRICS, metric};
use crate::sim::{Sim, Time, World};

/// One sample of every tracked metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Events in history when sampled; with `time`, it orders samples along history.
    events: usize,
    pub time: Time,
    /// The beat (lesson) or the number of learner commands (sandbox) the sample belongs to: the
    /// pane's change column counts from the end of the previous period.
    period: usize,
    pub values: Vec<f64>,
}

impl Sample {
    /// Taken after `other` in history (or in a later period, which can only come later).
    fn is_after(&self, events: usize, time: Time, period: usize) -> bool {
        self.events > events || self.time > time || self.period > period
    }
}

/// Who a group of tracked metrics belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Unscoped broker metrics, summed over the cluster.
    Cluster,
    Producer(String),
    Consumer(String),
}

/// The tracked metrics and their samples along the current history.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricHistory {
    /// `(owner, Kafka name, scoped name)` of every tracked metric, in the pane's order.
    tracked: Vec<(Owner, &'static str, String)>,
    samples: Vec<Sample>,
    /// Events in history just before each learner command still in history (sandbox periods).
    commands: Vec<usize>,
}

impl MetricHistory {
    /// Cluster-wide broker metrics, then each producer's, then each consumer's.
    pub fn new(world: &World) -> MetricHistory {
        let mut tracked: Vec<(Owner, &'static str, String)> = BROKER_METRICS
            .iter()
            .map(|m| (Owner::Cluster, *m, (*m).to_string()))
            .collect();
        for p in world.producers() {
            tracked.extend(PRODUCER_METRICS.iter().map(|m| {
                (
                    Owner::Producer(p.name.to_string()),
                    *m,
                    format!("{m}:{}", p.name),
                )
            }));
        }
        for c in world.consumers() {
            tracked.extend(CONSUMER_METRICS.iter().map(|m| {
                (
                    Owner::Consumer(c.name.to_string()),
                    *m,
                    format!("{m}:{}", c.name),
                )
            }));
        }
        MetricHistory {
            tracked,
            samples: Vec::new(),
            commands: Vec::new(),
        }
    }

    /// `(owner, Kafka name, scoped name)` of every tracked metric.
    pub fn tracked(&self) -> &[(Owner, &'static str, String)] {
        &self.tracked
    }

    /// The learner is about to apply a command of their own to `sim` (sandbox): a new period.
    pub fn command_given(&mut self, sim: &Sim) {
        self.commands.push(sim.events().len());
    }

    /// Samples `sim` as it is now. `beat` is the lesson's current beat; `None` in the sandbox,
    /// where periods are counted in learner commands. Samples of an undone future are dropped
    /// first; sampling the same point twice replaces the sample.
    pub fn record(&mut self, sim: &Sim, beat: Option<usize>) {
        let events = sim.events().len();
        let time = sim.now();
        // A command whose events are gone was undone.
        while self.commands.last().is_some_and(|&at| at >= events) {
            self.commands.pop();
        }
        let period = beat.unwrap_or(self.commands.len());
        while self
            .samples
            .last()
            .is_some_and(|s| s.is_after(events, time, period))
        {
            self.samples.pop();
        }
        let values = self
            .tracked
            .iter()
            .map(|(_, _, scoped)| metric(sim.world(), sim.events(), scoped).unwrap_or(0.0))
            .collect();
        let sample = Sample {
            events,
            time,
            period,
            values,
        };
        match self.samples.last_mut() {
            Some(last) if last.events == events && last.time == time && last.period == period => {
                *last = sample;
            }
            _ => self.samples.push(sample),
        }
    }

    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// The newest sample: the values the pane shows.
    pub fn current(&self) -> Option<&Sample> {
        self.samples.last()
    }

    /// The sample before the newest: what "just moved" compares with.
    pub fn previous(&self) -> Option<&Sample> {
        self.samples.len().checked_sub(2).map(|i| &self.samples[i])
    }

    /// The last sample of the previous period (the start of the beat, or just before the
    /// learner's last command), or the first sample when this is the first period.
    pub fn baseline(&self) -> Option<&Sample> {
        let period = self.current()?.period;
        self.samples
            .iter()
            .rev()
            .find(|s| s.period < period)
            .or_else(|| self.samples.first())
    }

    /// Metric `index` now.
    pub fn value(&self, index: usize) -> f64 {
        self.current()
            .and_then(|s| s.values.get(index).copied())
            .unwrap_or(0.0)
    }

    /// How much metric `index` changed since the baseline.
    pub fn change(&self, index: usize) -> f64 {
        let since = self
            .baseline()
            .and_then(|s| s.values.get(index).copied())
            .unwrap_or(0.0);
        self.value(index) - since
    }

    /// Whether metric `index` changed in the latest move.
    pub fn moved(&self, index: usize) -> bool {
        match (self.current(), self.previous()) {
            (Some(now), Some(before)) => now.values.get(index) != before.values.get(index),
            _ => false,
        }
    }

    /// Metric `index` over simulated time in `columns` columns: the last is the value now, the
    /// others split the time from the first sample to now into equal buckets and show the highest
    /// value in each (so a brief spike stays visible); a bucket without a sample holds the value
    /// before it.
    pub fn series(&self, index: usize, columns: usize) -> Vec<f64> {
        let (Some(first), Some(last)) = (self.samples.first(), self.samples.last()) else {
            return Vec::new();
        };
        let value = |s: &Sample| s.values.get(index).copied().unwrap_or(0.0);
        let buckets = columns.saturating_sub(1);
        let span = u128::from(last.time - first.time) + 1;
        let mut out: Vec<Option<f64>> = vec![None; buckets];
        if buckets > 0 {
            for sample in &self.samples[..self.samples.len() - 1] {
                let offset = u128::from(sample.time - first.time) * buckets as u128 / span;
                let bucket = usize::try_from(offset).map_or(buckets - 1, |b| b.min(buckets - 1));
                let slot = &mut out[bucket];
                *slot = Some(slot.map_or(value(sample), |v: f64| v.max(value(sample))));
            }
        }
        let mut held = value(first);
        let mut series: Vec<f64> = out
            .into_iter()
            .map(|v| {
                held = v.unwrap_or(held);
                held
            })
            .collect();
        series.push(value(last));
        series
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // whole numbers and the same computation on both sides
mod tests {
    use super::*;
    use crate::sim::{BrokerId, Command, Setup};

    fn sandbox() -> (Sim, MetricHistory) {
        let mut setup = Setup::default();
        setup.topics[0].min_insync_replicas = 2;
        let sim = Sim::new(&setup).expect("valid");
        let mut history = MetricHistory::new(sim.world());
        history.record(&sim, None);
        (sim, history)
    }

    fn index_of(history: &MetricHistory, scoped: &str) -> usize {
        history
            .tracked()
            .iter()
            .position(|(_, _, s)| s == scoped)
            .expect("tracked")
    }

    #[test]
    fn tracks_cluster_then_producer_metrics() {
        let (_, history) = sandbox();
        let names: Vec<&str> = history.tracked().iter().map(|t| t.2.as_str()).collect();
        assert_eq!(names[0], "UnderReplicatedPartitions");
        assert!(names.contains(&"record-error-rate:P1"), "{names:?}");
    }

    #[test]
    fn stepping_back_drops_the_undone_samples_and_restores_the_baseline() {
        let (mut sim, mut history) = sandbox();
        let urp = index_of(&history, "UnderReplicatedPartitions");
        history.command_given(&sim);
        sim.apply(Command::CrashProcess(BrokerId(3)))
            .expect("crash");
        history.record(&sim, None);
        let before_step = history.clone();
        let events = sim.events().len();
        // One event group forward (silent steps are undone with the group before them).
        while sim.events().len() == events && sim.step() {}
        assert!(sim.events().len() > events, "the crash has consequences");
        history.record(&sim, None);
        sim.step_back();
        history.record(&sim, None);
        assert_eq!(history, before_step, "one step and back is exact");
        while sim.world().partitions()[0].controller.isr.len() == 3 && sim.step() {
            history.record(&sim, None);
        }
        assert_eq!(history.current().map(|s| s.values[urp]), Some(1.0));
        assert!(history.moved(urp), "the shrink is the latest move");
        assert_eq!(history.baseline().map(|s| s.values[urp]), Some(0.0));
        while sim.step_back() {
            history.record(&sim, None);
        }
        assert_eq!(history.samples().len(), 1, "back at the start: one sample");
        assert!(history.commands.is_empty(), "the command was undone");
    }

    #[test]
    fn the_series_holds_values_between_samples_and_keeps_spikes() {
        let (mut sim, mut history) = sandbox();
        let urp = index_of(&history, "UnderReplicatedPartitions");
        sim.apply(Command::CrashProcess(BrokerId(3)))
            .expect("crash");
        sim.run_for(60_000);
        history.record(&sim, None);
        sim.step_back();
        sim.run_for(30_000);
        history.record(&sim, None);
        // The sample taken a minute on was undone with that minute.
        assert_eq!(history.samples().len(), 2);
        let series = history.series(urp, 4);
        assert_eq!(series, vec![0.0, 0.0, 0.0, 1.0], "the last column is now");
    }
}
