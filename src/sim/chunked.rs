//! An append-mostly vector whose clones share storage: fixed-size chunks behind `Arc`s.
//!
//! History checkpoints clone the whole world. Logs and the message registry only grow at the end
//! and change near the end, so sharing full chunks between clones makes a checkpoint cost a few
//! pointers per chunk instead of a copy of every record; a write to a shared chunk copies that
//! chunk alone (`Arc::make_mut`).

use std::fmt;
use std::ops::{Index, IndexMut};
use std::sync::Arc;

/// Small chunks keep the copy of a shared tail chunk cheap when a checkpoint is followed by appends.
const CHUNK: usize = 16;

#[derive(Clone)]
pub struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> Chunked<T> {
    pub fn push(&mut self, item: T) {
        if self.len.is_multiple_of(CHUNK) {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        let last = self.chunks.last_mut().expect("a chunk with room exists");
        Arc::make_mut(last).push(item);
        self.len += 1;
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        Arc::make_mut(&mut self.chunks[index / CHUNK]).get_mut(index % CHUNK)
    }

    /// Keeps the first `len` items.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let chunks = len.div_ceil(CHUNK);
        self.chunks.truncate(chunks);
        if let Some(last) = self.chunks.last_mut() {
            Arc::make_mut(last).truncate(len - (chunks - 1) * CHUNK);
        }
        self.len = len;
    }
}

impl<T> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }

    /// Items `start..end` (clamped to the length).
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &T> + '_ {
        let end = end.min(self.len);
        (start.min(end)..end).filter_map(move |i| self.get(i))
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        self.get(index).expect("index within the vector")
    }
}

/// Writing through an index copies the chunk if a clone still shares it.
impl<T: Clone> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        self.get_mut(index).expect("index within the vector")
    }
}

impl<T: PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .chunks
                .iter()
                .zip(&other.chunks)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
    }
}

impl<T: Eq> Eq for Chunked<T> {}

impl<T: fmt::Debug> fmt::Debug for Chunked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Box<dyn DoubleEndedIterator<Item = &'a T> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<T: Clone> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut out = Chunked::default();
        for item in iter {
            out.push(item);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_until_written() {
        let mut a: Chunked<u32> = (0..200).collect();
        let b = a.clone();
        *a.get_mut(5).expect("exists") = 99;
        assert_eq!(b[5], 5, "the clone is unchanged");
        assert_eq!(a[5], 99);
        assert!(
            Arc::ptr_eq(&a.chunks[1], &b.chunks[1]),
            "untouched chunks stay shared"
        );
        assert_eq!(a.len(), 200);
    }

    #[test]
    fn truncate_and_push_across_chunk_edges() {
        let mut a: Chunked<usize> = (0..130).collect();
        a.truncate(64);
        assert_eq!(a.len(), 64);
        assert_eq!(a.last(), Some(&63));
        a.push(64);
        a.truncate(0);
        assert!(a.is_empty());
        a.push(7);
        assert_eq!(a.iter().copied().collect::<Vec<_>>(), [7]);
        let b: Chunked<usize> = (0..70).collect();
        assert_eq!(
            b.range(62, 66).copied().collect::<Vec<_>>(),
            [62, 63, 64, 65]
        );
    }
}
