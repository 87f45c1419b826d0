//! A read-only map from words to values, for the lookups made for every
//! token of every post (the lexicon, the cue phrase vocabulary).
//!
//! Owns: [`WordTable`], built once from unique keys and then only read.
//! Open addressing with linear probing at most half full; a key of up to
//! [`INLINE`] bytes (nearly every word) is stored in its slot, so a lookup
//! hashes once, reads one slot and compares two machine words, without
//! following a pointer to the key as a `HashMap<Box<str>, _>` must. The
//! hash is [`FxHasher`]'s: the keys are fixed at build time, so hostile
//! lookups cannot lengthen probe chains. Tests: `sentiment/tests.rs`.

use std::hash::Hasher;

use super::lexicon::FxHasher;

/// Longest key kept in its slot; longer keys live in [`WordTable::long`].
const INLINE: usize = 16;
/// The value index of an empty slot.
const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The key, zero-padded; for a longer key, its offset in `long` in the
    /// first four bytes.
    key: [u8; INLINE],
    len: u32,
    /// Index into `values`, or [`EMPTY`].
    value: u32,
}

const VACANT: Slot = Slot { key: [0; INLINE], len: 0, value: EMPTY };

/// Words to values (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct WordTable<V> {
    slots: Box<[Slot]>,
    mask: usize,
    long: String,
    values: Vec<V>,
}

impl<V> Default for WordTable<V> {
    fn default() -> Self {
        WordTable { slots: vec![VACANT].into_boxed_slice(), mask: 0, long: String::new(), values: Vec::new() }
    }
}

impl<V> WordTable<V> {
    /// A table of `entries`, whose keys must be unique.
    pub(crate) fn new<K: AsRef<str>>(entries: impl ExactSizeIterator<Item = (K, V)>) -> Self {
        let size = (entries.len() * 2).next_power_of_two().max(2);
        let mut table = WordTable {
            slots: vec![VACANT; size].into_boxed_slice(),
            mask: size - 1,
            long: String::new(),
            values: Vec::new(),
        };
        for (key, value) in entries {
            let key = key.as_ref();
            let mut slot = Slot { key: [0; INLINE], len: key.len() as u32, value: table.values.len() as u32 };
            if key.len() <= INLINE {
                slot.key[..key.len()].copy_from_slice(key.as_bytes());
            } else {
                slot.key[..4].copy_from_slice(&(table.long.len() as u32).to_le_bytes());
                table.long.push_str(key);
            }
            let mut i = hash(key.as_bytes()) as usize & table.mask;
            while table.slots[i].value != EMPTY {
                debug_assert!(table.key(&table.slots[i]) != key.as_bytes(), "duplicate key {key:?}");
                i = (i + 1) & table.mask;
            }
            table.slots[i] = slot;
            table.values.push(value);
        }
        table
    }

    /// The value of `key`.
    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        let bytes = key.as_bytes();
        let len = bytes.len();
        let mut padded = [0u8; INLINE];
        let short = len <= INLINE;
        if short {
            padded[..len].copy_from_slice(bytes);
        }
        let mut i = hash(bytes) as usize & self.mask;
        loop {
            let slot = &self.slots[i];
            if slot.value == EMPTY {
                return None;
            }
            if slot.len as usize == len && if short { slot.key == padded } else { self.key(slot) == bytes } {
                return Some(&self.values[slot.value as usize]);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Every entry, in no particular order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.slots.iter().filter(|s| s.value != EMPTY).map(|s| {
            // Keys come from `&str`s, so they are UTF-8.
            let key = std::str::from_utf8(self.key(s)).unwrap_or_default();
            (key, &self.values[s.value as usize])
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    fn key<'s>(&'s self, slot: &'s Slot) -> &'s [u8] {
        let len = slot.len as usize;
        if len <= INLINE {
            &slot.key[..len]
        } else {
            let at = u32::from_le_bytes([slot.key[0], slot.key[1], slot.key[2], slot.key[3]]) as usize;
            &self.long.as_bytes()[at..at + len]
        }
    }
}

#[inline]
fn hash(bytes: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(bytes);
    h.finish()
}
