//! Puts out-of-order results back into input order.
//!
//! The engine finishes domains in whatever order their answers arrive; the store
//! wants them in input order so that every complete part covers a contiguous
//! range of the input stream, and a resumed run can skip exactly that prefix.
//! The buffer only holds results that finished ahead of a slower one; the
//! feeder waits on the [`crate::window::Window`] before it runs further ahead of
//! the [`Reorder::watermark`], so the buffer is bounded too.

use std::collections::BTreeMap;

/// Releases items strictly in sequence order, starting from a given sequence.
#[derive(Debug)]
pub struct Reorder<T> {
    next: u64,
    pending: BTreeMap<u64, T>,
}

impl<T> Reorder<T> {
    /// A buffer whose first released item will be `first`.
    pub fn starting_at(first: u64) -> Self {
        Reorder {
            next: first,
            pending: BTreeMap::new(),
        }
    }

    /// Accepts the item of sequence `seq`; returns, in order, every item that is
    /// now contiguous with what was released before. A sequence below the
    /// watermark or seen twice is a caller bug and is reported, not released twice.
    pub fn push(&mut self, seq: u64, item: T) -> Result<Vec<T>, DuplicateSeq> {
        if seq < self.next || self.pending.contains_key(&seq) {
            return Err(DuplicateSeq(seq));
        }
        self.pending.insert(seq, item);
        let mut ready = Vec::new();
        while let Some(item) = self.pending.remove(&self.next) {
            ready.push(item);
            self.next += 1;
        }
        Ok(ready)
    }

    /// The sequence of the next item to release: everything below it is out.
    pub fn watermark(&self) -> u64 {
        self.next
    }

    /// How many items wait for a slower one.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// A sequence number pushed twice, or after it was released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("input sequence {0} delivered twice")]
pub struct DuplicateSeq(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_in_order_whatever_the_arrival_order() {
        let mut reorder = Reorder::starting_at(10);
        assert_eq!(reorder.push(12, 'c').unwrap(), Vec::<char>::new());
        assert_eq!(reorder.push(11, 'b').unwrap(), Vec::<char>::new());
        assert_eq!(reorder.pending(), 2);
        assert_eq!(reorder.push(10, 'a').unwrap(), vec!['a', 'b', 'c']);
        assert_eq!(reorder.watermark(), 13);
        assert_eq!(reorder.pending(), 0);
    }

    #[test]
    fn a_duplicate_is_refused_not_released_twice() {
        let mut reorder = Reorder::starting_at(0);
        assert_eq!(reorder.push(0, ()).unwrap().len(), 1);
        assert_eq!(reorder.push(0, ()), Err(DuplicateSeq(0)));
        reorder.push(2, ()).unwrap();
        assert_eq!(reorder.push(2, ()), Err(DuplicateSeq(2)));
    }

    #[test]
    fn every_permutation_of_a_small_window_comes_out_sorted() {
        let items = [0u64, 1, 2, 3];
        let mut permutations = vec![];
        permute(&mut items.to_vec(), 0, &mut permutations);
        assert_eq!(permutations.len(), 24);
        for order in permutations {
            let mut reorder = Reorder::starting_at(0);
            let mut out = vec![];
            for seq in order {
                out.extend(reorder.push(seq, seq).unwrap());
            }
            assert_eq!(out, vec![0, 1, 2, 3]);
        }
    }

    fn permute(items: &mut Vec<u64>, k: usize, out: &mut Vec<Vec<u64>>) {
        if k == items.len() {
            out.push(items.clone());
            return;
        }
        for i in k..items.len() {
            items.swap(k, i);
            permute(items, k + 1, out);
            items.swap(k, i);
        }
    }
}
