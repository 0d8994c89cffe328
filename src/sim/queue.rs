//! The engine's agenda: work scheduled at a logical time, run in `(time, sequence)` order.
//!
//! A binary heap of small keys orders the work; the payloads live in a slab so that cancelling
//! a timer is O(1) (its slot is emptied and its heap key skipped when it surfaces). The heap's
//! top is never a cancelled entry, so `next_due` is exact.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::types::Time;

/// Identifies scheduled work, so it can be cancelled.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QueueKey {
    pub time: Time,
    sequence: u64,
    slot: u32,
}

#[derive(Clone, Debug, PartialEq)]
struct Slot<T> {
    sequence: u64,
    item: Option<T>,
}

#[derive(Clone, Debug)]
pub struct Queue<T> {
    heap: BinaryHeap<Reverse<QueueKey>>,
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
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            sequence: 0,
            live: 0,
        }
    }
}

impl<T> Queue<T> {
    pub fn schedule(&mut self, time: Time, item: T) -> QueueKey {
        self.sequence += 1;
        let sequence = self.sequence;
        let slot = if let Some(slot) = self.free.pop() {
            self.slots[slot as usize] = Slot {
                sequence,
                item: Some(item),
            };
            slot
        } else {
            self.slots.push(Slot {
                sequence,
                item: Some(item),
            });
            u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 pending items")
        };
        let key = QueueKey {
            time,
            sequence,
            slot,
        };
        self.heap.push(Reverse(key));
        self.live += 1;
        key
    }

    fn is_current(&self, key: &QueueKey) -> bool {
        let slot = &self.slots[key.slot as usize];
        slot.sequence == key.sequence && slot.item.is_some()
    }

    /// Drops cancelled keys from the top of the heap.
    fn settle(&mut self) {
        while let Some(Reverse(top)) = self.heap.peek() {
            if self.is_current(top) {
                return;
            }
            self.heap.pop();
        }
    }

    fn release(&mut self, slot: u32) -> Option<T> {
        let item = self.slots[slot as usize].item.take();
        if item.is_some() {
            self.free.push(slot);
            self.live -= 1;
        }
        item
    }

    /// Cancels scheduled work; a key that already ran or was cancelled is ignored.
    pub fn cancel(&mut self, key: QueueKey) {
        if self
            .slots
            .get(key.slot as usize)
            .is_some_and(|s| s.sequence == key.sequence)
        {
            self.release(key.slot);
            self.settle();
            self.compact_if_mostly_stale();
        }
    }

    /// Timeouts far in the future are usually cancelled long before they are due; their keys
    /// would pile up in the heap. Rebuild it once stale keys outnumber live ones.
    fn compact_if_mostly_stale(&mut self) {
        if self.heap.len() > 2 * self.live + 1024 {
            let mut keys = std::mem::take(&mut self.heap).into_vec();
            keys.retain(|Reverse(k)| self.is_current(k));
            self.heap = BinaryHeap::from(keys);
        }
    }

    /// The earliest scheduled work.
    pub fn pop(&mut self) -> Option<(QueueKey, T)> {
        let Reverse(key) = self.heap.pop()?;
        let item = self
            .release(key.slot)
            .expect("the top of the heap is always current");
        self.settle();
        Some((key, item))
    }

    pub fn next_due(&self) -> Option<Time> {
        self.heap.peek().map(|Reverse(k)| k.time)
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
                self.release(u32::try_from(index).expect("slot index fits"));
            }
        }
        self.settle();
    }

    /// The pending work in the order it will run (for display and tests).
    pub fn items(&self) -> Vec<(QueueKey, &T)> {
        let mut keys: Vec<QueueKey> = self
            .heap
            .iter()
            .map(|Reverse(k)| *k)
            .filter(|k| self.is_current(k))
            .collect();
        keys.sort();
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
}
