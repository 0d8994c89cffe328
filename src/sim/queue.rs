//! The engine's agenda: work scheduled at a logical time, run in `(time, sequence)` order.
//!
//! Logical time is whole milliseconds and nearly all work is due within a few of them (every
//! network hop is `now + latency`), so the agenda is a timing wheel, like the Linux kernel's
//! timers and the one behind Kafka's request purgatory (`TimingWheel`): one FIFO list per
//! millisecond of the next [`WHEEL`] ms, linked through the slots that hold the payloads, and a
//! bit per millisecond saying which lists are not empty. A list is filled in scheduling order,
//! which is sequence order, so the head of the first list is the `(time, sequence)` minimum
//! without comparing keys. Work due later waits as keys in a heap and moves onto the wheel, in
//! order, the moment its millisecond comes within reach. Cancelling unlinks the slot (O(1)); a
//! cancelled key left in the heap is skipped when it surfaces, and the heap's top is never one,
//! so `next_due` is exact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::types::Time;

/// Milliseconds covered by the wheel: one bit each in `occupied`.
const WHEEL: Time = 64;
/// The end of a list.
const NIL: u32 = u32::MAX;

/// Identifies scheduled work, so it can be cancelled.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueKey {
    pub time: Time,
    sequence: u64,
    slot: u32,
}

#[derive(Clone, Debug)]
struct Slot<T> {
    key: QueueKey,
    item: Option<T>,
    /// Neighbours in its millisecond's list while the work is on the wheel.
    prev: u32,
    next: u32,
    on_wheel: bool,
}

#[derive(Copy, Clone, Debug)]
struct List {
    head: u32,
    tail: u32,
}

const EMPTY: List = List {
    head: NIL,
    tail: NIL,
};

#[derive(Clone, Debug)]
pub struct Queue<T> {
    /// Work due in `[base, base + WHEEL)`; the list for time `t` is `wheel[t % WHEEL]`.
    wheel: [List; WHEEL as usize],
    /// Bit `i` is set when `wheel[i]` is not empty.
    occupied: u64,
    /// Never after the earliest pending work; moves forward as work is popped.
    base: Time,
    /// Work due at or after `base + WHEEL`.
    later: BinaryHeap<Reverse<QueueKey>>,
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    sequence: u64,
    live: usize,
}

/// Two agendas are equal when they hold the same work under the same keys.
impl<T: PartialEq> PartialEq for Queue<T> {
    fn eq(&self, other: &Self) -> bool {
        self.sequence == other.sequence && self.items() == other.items()
    }
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Queue {
            wheel: [EMPTY; WHEEL as usize],
            occupied: 0,
            base: 0,
            later: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            sequence: 0,
            live: 0,
        }
    }
}

impl<T> Queue<T> {
    /// Schedules `item` at `time`; work can never be scheduled before work already popped, so an
    /// earlier `time` is taken as the time of the last popped work.
    #[inline]
    pub fn schedule(&mut self, time: Time, item: T) -> QueueKey {
        self.sequence += 1;
        let index = match self.free.pop() {
            Some(index) => index,
            None => u32::try_from(self.slots.len()).expect("fewer than 2^32 pending items"),
        };
        let key = QueueKey {
            time: time.max(self.base),
            sequence: self.sequence,
            slot: index,
        };
        let slot = Slot {
            key,
            item: Some(item),
            prev: NIL,
            next: NIL,
            on_wheel: false,
        };
        match self.slots.get_mut(index as usize) {
            Some(free) => *free = slot,
            None => self.slots.push(slot),
        }
        if key.time < self.base + WHEEL {
            self.link(index);
        } else {
            self.later.push(Reverse(key));
        }
        self.live += 1;
        key
    }

    /// Appends a slot to its millisecond's list.
    fn link(&mut self, index: u32) {
        let bucket = (self.slots[index as usize].key.time % WHEEL) as usize;
        let tail = self.wheel[bucket].tail;
        let slot = &mut self.slots[index as usize];
        slot.prev = tail;
        slot.next = NIL;
        slot.on_wheel = true;
        if tail == NIL {
            self.wheel[bucket].head = index;
            self.occupied |= 1 << bucket;
        } else {
            self.slots[tail as usize].next = index;
        }
        self.wheel[bucket].tail = index;
    }

    /// Takes a slot out of its millisecond's list.
    fn unlink(&mut self, index: u32) {
        let slot = &mut self.slots[index as usize];
        let (prev, next, bucket) = (slot.prev, slot.next, (slot.key.time % WHEEL) as usize);
        slot.on_wheel = false;
        match prev {
            NIL => self.wheel[bucket].head = next,
            prev => self.slots[prev as usize].next = next,
        }
        match next {
            NIL => self.wheel[bucket].tail = prev,
            next => self.slots[next as usize].prev = prev,
        }
        if self.wheel[bucket].head == NIL {
            self.occupied &= !(1 << bucket);
        }
    }

    /// Whether `key` names work still waiting (not run, cancelled, or replaced in its slot).
    fn is_current(&self, key: &QueueKey) -> bool {
        self.slots
            .get(key.slot as usize)
            .is_some_and(|s| s.key.sequence == key.sequence && s.item.is_some())
    }

    /// Frees a slot (off the wheel already) and returns its work.
    fn release(&mut self, index: u32) -> T {
        self.free.push(index);
        self.live -= 1;
        self.slots[index as usize]
            .item
            .take()
            .expect("a released slot holds work")
    }

    /// Drops cancelled keys from the top of the heap.
    fn settle_later(&mut self) {
        while let Some(Reverse(top)) = self.later.peek() {
            if self.is_current(top) {
                return;
            }
            self.later.pop();
        }
    }

    /// Cancels scheduled work; a key that already ran or was cancelled is ignored.
    pub fn cancel(&mut self, key: QueueKey) {
        if !self.is_current(&key) {
            return;
        }
        if self.slots[key.slot as usize].on_wheel {
            self.unlink(key.slot);
        }
        self.release(key.slot);
        self.settle_later();
        self.compact_if_mostly_stale();
    }

    /// Timeouts far in the future are usually cancelled long before they are due; their keys
    /// would pile up in the heap. Rebuild it once stale keys outnumber live ones.
    fn compact_if_mostly_stale(&mut self) {
        if self.later.len() > 2 * self.live + 1024 {
            let mut keys = std::mem::take(&mut self.later).into_vec();
            keys.retain(|Reverse(k)| self.is_current(k));
            self.later = BinaryHeap::from(keys);
        }
    }

    /// Offset from `base` of the first occupied millisecond of the wheel.
    fn first_on_wheel(&self) -> Option<Time> {
        (self.occupied != 0).then(|| {
            let start = (self.base % WHEEL) as u32;
            Time::from(self.occupied.rotate_right(start).trailing_zeros())
        })
    }

    /// Moves the wheel forward to `time` and brings onto it the later work now within reach.
    /// Later work is due after everything on the wheel and was scheduled before anything that
    /// will join its list from now on, so appending it keeps each list in sequence order.
    fn advance_to(&mut self, time: Time) {
        self.base = time;
        while let Some(&Reverse(key)) = self.later.peek() {
            if key.time >= self.base + WHEEL {
                break;
            }
            self.later.pop();
            if self.is_current(&key) {
                self.link(key.slot);
            }
        }
        self.settle_later();
    }

    /// The earliest scheduled work.
    #[inline]
    pub fn pop(&mut self) -> Option<(QueueKey, T)> {
        let index = if let Some(offset) = self.first_on_wheel() {
            let bucket = ((self.base + offset) % WHEEL) as usize;
            let index = self.wheel[bucket].head;
            self.unlink(index);
            index
        } else {
            let Reverse(key) = self.later.pop()?;
            key.slot
        };
        let key = self.slots[index as usize].key;
        let item = self.release(index);
        if key.time > self.base {
            self.advance_to(key.time);
        } else {
            self.settle_later();
        }
        Some((key, item))
    }

    pub fn next_due(&self) -> Option<Time> {
        match self.first_on_wheel() {
            Some(offset) => Some(self.base + offset),
            None => self.later.peek().map(|Reverse(k)| k.time),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Keeps only the work `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&mut T) -> bool) {
        for index in 0..self.slots.len() {
            let slot = &mut self.slots[index];
            if let Some(item) = slot.item.as_mut()
                && !keep(item)
            {
                let index = u32::try_from(index).expect("slot index fits");
                if slot.on_wheel {
                    self.unlink(index);
                }
                self.release(index);
            }
        }
        self.settle_later();
    }

    /// The pending work in the order it will run (for display and tests).
    pub fn items(&self) -> Vec<(QueueKey, &T)> {
        let mut keys = Vec::with_capacity(self.live);
        for offset in 0..WHEEL {
            let mut index = self.wheel[((self.base + offset) % WHEEL) as usize].head;
            while index != NIL {
                keys.push(self.slots[index as usize].key);
                index = self.slots[index as usize].next;
            }
        }
        let mut later: Vec<QueueKey> = self
            .later
            .iter()
            .map(|Reverse(k)| *k)
            .filter(|k| self.is_current(k))
            .collect();
        later.sort();
        keys.extend(later);
        keys.into_iter()
            .filter_map(|k| {
                self.slots[k.slot as usize]
                    .item
                    .as_ref()
                    .map(|item| (k, item))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_in_time_then_schedule_order_and_skips_cancelled() {
        let mut q = Queue::default();
        let a = q.schedule(5, "a");
        q.schedule(3, "b");
        q.schedule(5, "c");
        let d = q.schedule(1, "d");
        q.cancel(d);
        q.cancel(a);
        assert_eq!(q.next_due(), Some(3));
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, x)| x)).collect();
        assert_eq!(order, ["b", "c"]);
        assert!(q.is_empty());
    }

    #[test]
    fn a_reused_slot_does_not_answer_to_an_old_key() {
        let mut q = Queue::default();
        let old = q.schedule(1, 1);
        q.cancel(old);
        let new = q.schedule(2, 2);
        q.cancel(old);
        assert_eq!(
            q.items().len(),
            1,
            "cancelling the old key again leaves the new item alone"
        );
        assert_eq!(q.pop(), Some((new, 2)));
    }

    #[test]
    fn retain_drops_items_and_keeps_order() {
        let mut q = Queue::default();
        for (t, x) in [(4, 4), (1, 1), (3, 3), (2, 2)] {
            q.schedule(t, x);
        }
        q.retain(|x| *x % 2 == 0);
        assert_eq!(q.next_due(), Some(2));
        assert_eq!(
            q.items().iter().map(|(_, x)| **x).collect::<Vec<_>>(),
            [2, 4]
        );
    }

    /// One operation on an agenda, for the model check below.
    #[derive(Clone, Debug)]
    enum Op {
        Schedule { after: Time },
        Cancel { pick: usize },
        Pop,
        RetainOdd,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            // Mostly near work, some far beyond the wheel, some at the same instant.
            4 => prop_oneof![0..4u64, 0..WHEEL * 3, Just(WHEEL), 0..100_000u64]
                .prop_map(|after| Op::Schedule { after }),
            1 => any::<usize>().prop_map(|pick| Op::Cancel { pick }),
            3 => Just(Op::Pop),
            1 => Just(Op::RetainOdd),
        ]
    }

    proptest::proptest! {
        /// The wheel runs work exactly as a sorted list of `(time, sequence)` would.
        #[test]
        fn agrees_with_a_sorted_list(ops in proptest::collection::vec(op(), 1..400)) {
            let mut queue = Queue::default();
            let mut model: Vec<(Time, u64, u32)> = Vec::new();
            let mut keys = Vec::new();
            let (mut now, mut label) = (0, 0u32);
            for op in ops {
                match op {
                    Op::Schedule { after } => {
                        label += 1;
                        let key = queue.schedule(now + after, label);
                        model.push((now + after, key.sequence, label));
                        keys.push(key);
                    }
                    Op::Cancel { pick } if !keys.is_empty() => {
                        let key = keys[pick % keys.len()];
                        queue.cancel(key);
                        model.retain(|&(_, sequence, _)| sequence != key.sequence);
                    }
                    Op::Cancel { .. } => {}
                    Op::Pop => {
                        model.sort_unstable();
                        let expected = (!model.is_empty()).then(|| model.remove(0));
                        let popped = queue.pop().map(|(k, x)| (k.time, k.sequence, x));
                        proptest::prop_assert_eq!(popped, expected);
                        if let Some((time, _, _)) = popped {
                            now = time;
                        }
                    }
                    Op::RetainOdd => {
                        queue.retain(|x| *x % 2 == 1);
                        model.retain(|&(_, _, x)| x % 2 == 1);
                    }
                }
                model.sort_unstable();
                proptest::prop_assert_eq!(queue.next_due(), model.first().map(|m| m.0));
                let listed: Vec<_> = queue.items().iter().map(|(k, x)| (k.time, k.sequence, **x)).collect();
                proptest::prop_assert_eq!(listed, model.clone());
            }
        }
    }
}
