//! Word lookups for every token of every post (the lexicon, the cue
//! phrase vocabulary): a word of up to [`INLINE`] bytes packed into two
//! machine words ([`WordKey`]), a read-only open-addressed table keyed by
//! it ([`KeyTable`]), and [`WordMap`], which keeps the few longer words in
//! a hash map beside it.
//!
//! Owns: packing a key (from a string, or straight from a word in a
//! buffer, lower-cased eight bytes at a time), hashing and probing. A
//! lookup is two multiplies, a shift and a two-word compare per slot
//! probed: no per-byte hash, no pointer to follow to the key, no `memcmp`.
//! Also the byte tests the scorer runs eight bytes at a time
//! ([`upper_bytes`], [`bytes_equal`]).
//! Tests: `tests.rs`.

use super::lexicon::FxMap;

/// Longest word packed into a key; its length takes the last byte.
pub(crate) const INLINE: usize = 15;

const ONES: u64 = 0x0101_0101_0101_0101;
/// Odd multipliers with well-mixed bits (FxHash's and a golden-ratio one).
const MIX_LOW: u64 = 0x51_7c_c1_b7_27_22_0a_95;
const MIX_HIGH: u64 = 0x9e_37_79_b9_7f_4a_7c_15;

/// The bytes of a word of 1 to [`INLINE`] bytes, zero-padded, with the
/// length in the top byte: equal keys are equal words. All-zero is no
/// word (an empty [`KeyTable`] slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct WordKey([u64; 2]);

impl WordKey {
    /// The key of `word`, if it has 1 to [`INLINE`] bytes.
    pub(crate) fn of(word: &str) -> Option<WordKey> {
        let len = word.len();
        (1..=INLINE).contains(&len).then(|| Self::packed(word.as_bytes(), 0, len))
    }

    /// The key of `bytes[start..start + len]`, `len` in 1..=[`INLINE`]. Reads
    /// up to 16 bytes from `start` at once and masks off what follows the
    /// word.
    #[inline]
    pub(crate) fn packed(bytes: &[u8], start: usize, len: usize) -> WordKey {
        debug_assert!((1..=INLINE).contains(&len) && start + len <= bytes.len());
        let low = load(bytes, start) & mask(len.min(8));
        let high = if len > 8 { load(bytes, start + 8) & mask(len - 8) } else { 0 };
        WordKey([low, high | (len as u64) << 56])
    }

    /// This key with its ASCII upper-case letters lowered.
    #[inline]
    pub(crate) fn ascii_lowercase(self) -> WordKey {
        WordKey([lower_ascii(self.0[0]), lower_ascii(self.0[1])])
    }

    /// Whether the word holds "n't".
    pub(crate) fn contracted(self) -> bool {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.0[0].to_le_bytes());
        bytes[8..].copy_from_slice(&self.0[1].to_le_bytes());
        let len = usize::from(bytes[15]);
        bytes[..len].windows(3).any(|w| w == b"n't")
    }

    /// A well-mixed hash; its top bits pick the slot.
    #[inline]
    fn hash(self) -> u64 {
        (self.0[0].wrapping_mul(MIX_LOW) ^ self.0[1]).wrapping_mul(MIX_HIGH)
    }

    /// An empty slot: a word's length, in the high word, is never zero.
    #[inline]
    fn is_vacant(self) -> bool {
        self.0[1] == 0
    }
}

/// Eight bytes from `at`, zero-padded past the end of `bytes`.
#[inline]
pub(crate) fn load(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..at + 8) {
        Some(eight) => u64::from_le_bytes(eight.try_into().expect("eight bytes")),
        // Near the end: the last eight bytes, shifted down to `at`.
        None if at < bytes.len() && bytes.len() >= 8 => {
            let last = &bytes[bytes.len() - 8..];
            u64::from_le_bytes(last.try_into().expect("eight bytes")) >> (8 * (at + 8 - bytes.len()))
        }
        None => bytes.get(at..).unwrap_or_default().iter().rev().fold(0, |word, &b| word << 8 | u64::from(b)),
    }
}

/// The low `n` bytes (1..=8) set.
#[inline]
fn mask(n: usize) -> u64 {
    u64::MAX >> (64 - 8 * n)
}

/// Lowers the ASCII letters A-Z of eight bytes at once (bytes of 0x80 and
/// up are left as they are).
#[inline]
fn lower_ascii(word: u64) -> u64 {
    word | (upper_bytes(word) >> 2)
}

/// Bit 7 set in each of the eight bytes that is an ASCII letter A-Z.
#[inline]
pub(crate) fn upper_bytes(word: u64) -> u64 {
    let heptets = word & (0x7f * ONES);
    // Bit 7 of each byte: at least 'A', and above 'Z'.
    let from_a = heptets.wrapping_add((0x80 - u64::from(b'A')) * ONES);
    let past_z = heptets.wrapping_add((0x80 - u64::from(b'Z') - 1) * ONES);
    from_a & !past_z & !word & (0x80 * ONES)
}

/// Bit 7 set in each of the eight bytes equal to `byte` (exact: no
/// borrow runs from one byte into the next).
#[inline]
pub(crate) fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (u64::from(byte) * ONES);
    let low = 0x7f * ONES;
    !(((x & low) + low) | x) & (0x80 * ONES)
}

/// Values by [`WordKey`], built once, then only read. Linear probing, at
/// most half full.
#[derive(Debug, Clone)]
pub(crate) struct KeyTable<V> {
    slots: Box<[(WordKey, V)]>,
    /// 64 minus the log2 of the slot count: the hash's top bits index.
    shift: u32,
}

impl<V: Copy + Default> KeyTable<V> {
    /// A table of `entries`, whose keys must be unique.
    pub(crate) fn new(entries: &[(WordKey, V)]) -> Self {
        let size = (entries.len() * 2).next_power_of_two().max(2);
        let mut table = KeyTable {
            slots: vec![(WordKey::default(), V::default()); size].into_boxed_slice(),
            shift: 64 - size.trailing_zeros(),
        };
        for &(key, value) in entries {
            debug_assert!(!key.is_vacant());
            let mut i = table.home(key);
            while !table.slots[i].0.is_vacant() {
                debug_assert!(table.slots[i].0 != key, "duplicate key");
                i = (i + 1) & (size - 1);
            }
            table.slots[i] = (key, value);
        }
        table
    }

    fn home(&self, key: WordKey) -> usize {
        (key.hash() >> self.shift) as usize
    }

    /// The value of `key`.
    #[inline]
    pub(crate) fn get(&self, key: WordKey) -> Option<&V> {
        let last = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, v) = &self.slots[i];
            if *k == key {
                return Some(v);
            }
            if k.is_vacant() {
                return None;
            }
            i = (i + 1) & last;
        }
    }

    /// The longest probe a present key needs (for tests of the hash).
    #[cfg(test)]
    pub(crate) fn longest_probe(&self) -> usize {
        let last = self.slots.len() - 1;
        let mut longest = 0;
        for (at, (key, _)) in self.slots.iter().enumerate() {
            if !key.is_vacant() {
                longest = longest.max(at.wrapping_sub(self.home(*key)) & last);
            }
        }
        longest + 1
    }
}

/// Words to values: a [`KeyTable`] for the words that fit a key, a map for
/// the rest. Built once, then only read.
#[derive(Debug, Clone)]
pub(crate) struct WordMap<V> {
    short: KeyTable<V>,
    long: FxMap<Box<str>, V>,
}

impl<V: Copy + Default> WordMap<V> {
    /// A map of `entries`, whose words must be unique.
    pub(crate) fn new<W: AsRef<str>>(entries: impl IntoIterator<Item = (W, V)>) -> Self {
        let mut short = Vec::new();
        let mut long = FxMap::default();
        for (word, value) in entries {
            let word = word.as_ref();
            match WordKey::of(word) {
                Some(key) => short.push((key, value)),
                None => {
                    long.insert(word.into(), value);
                }
            }
        }
        WordMap { short: KeyTable::new(&short), long }
    }

    /// The value of `word`.
    #[inline]
    pub(crate) fn get(&self, word: &str) -> Option<&V> {
        match WordKey::of(word) {
            Some(key) => self.short.get(key),
            None => self.long.get(word),
        }
    }

    /// The value of the word packed in `key`.
    #[inline]
    pub(crate) fn get_key(&self, key: WordKey) -> Option<&V> {
        self.short.get(key)
    }

    /// The longest probe a present key needs (for tests of the hash).
    #[cfg(test)]
    pub(crate) fn longest_probe(&self) -> usize {
        self.short.longest_probe()
    }
}
