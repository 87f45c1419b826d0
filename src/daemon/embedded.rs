//! The pages of the scoring data embedded in the binary, handed back to the
//! kernel once the scorer has parsed them.
//!
//! The lexicons, cue data and models are text compiled into the binary
//! (`include_str!`, about 0.87 MB). Start-up reads all of it once to build
//! the scorer's tables, and the kernel then keeps every page it touched
//! mapped into the process: resident memory the daemon never reads again.
//! `madvise(MADV_DONTNEED)` on the whole pages inside each text unmaps
//! them. They are read-only pages of the executable file, so nothing is
//! lost: a later read (a reload that parses the data again, an emoji's
//! description) maps the same bytes back from the page cache. Measured in
//! BENCHMARKS.md ("Memory and start-up"). Elsewhere than Linux a no-op.
//!
//! Tests: below (the pages go, and the text reads the same after).

/// Unmaps the whole pages inside each of `texts`, which must be embedded
/// in the binary (`'static`, read-only); returns the bytes unmapped. The
/// partial pages at either end are left: other data shares them.
pub fn release(texts: impl IntoIterator<Item = &'static str>) -> usize {
    let Some(page) = page_size() else { return 0 };
    texts
        .into_iter()
        .filter_map(|text| whole_pages(text.as_ptr() as usize, text.len(), page))
        .map(|(start, len)| if unmap(start, len) { len } else { 0 })
        .sum()
}

/// The page-aligned range inside `[addr, addr + len)`, if it holds a page.
fn whole_pages(addr: usize, len: usize, page: usize) -> Option<(usize, usize)> {
    let start = addr.checked_add(page - 1)? & !(page - 1);
    let end = addr.checked_add(len)? & !(page - 1);
    (end > start).then(|| (start, end - start))
}

#[cfg(target_os = "linux")]
fn page_size() -> Option<usize> {
    // SAFETY: sysconf reads a constant of the system.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).ok().filter(|p| p.is_power_of_two())
}

#[cfg(not(target_os = "linux"))]
fn page_size() -> Option<usize> {
    None
}

#[cfg(target_os = "linux")]
fn unmap(start: usize, len: usize) -> bool {
    // SAFETY: the range is whole pages inside a `'static` string embedded in
    // the executable's read-only segment: a private file mapping nobody
    // writes to, so dropping its pages loses nothing, and the next read
    // faults the same bytes back in from the file.
    unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn unmap(_start: usize, _len: usize) -> bool {
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// 28 KB of text in the binary's read-only data that nothing else
    /// embeds, so no other test reads its pages meanwhile.
    static TEXT: &str = include_str!("../../ARCHITECTURE.md");

    /// Whether the page at `addr` is mapped into this process now
    /// (`/proc/self/pagemap`: bit 63 of the page's entry).
    fn present(addr: usize) -> bool {
        use std::io::{Read, Seek, SeekFrom};
        let page = page_size().unwrap();
        let mut map = std::fs::File::open("/proc/self/pagemap").unwrap();
        map.seek(SeekFrom::Start((addr / page * 8) as u64)).unwrap();
        let mut entry = [0u8; 8];
        map.read_exact(&mut entry).unwrap();
        u64::from_le_bytes(entry) >> 63 == 1
    }

    fn checksum(text: &str) -> u64 {
        text.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
    }

    #[test]
    fn whole_pages_only() {
        assert_eq!(whole_pages(4096, 8192, 4096), Some((4096, 8192)));
        assert_eq!(whole_pages(4000, 8300, 4096), Some((4096, 8192)));
        assert_eq!(whole_pages(4000, 4300, 4096), Some((4096, 4096)));
        assert_eq!(whole_pages(4000, 4000, 4096), None, "no page lies wholly inside");
        assert_eq!(whole_pages(4097, 4095, 4096), None);
        assert_eq!(whole_pages(usize::MAX - 10, 5, 4096), None);
    }

    #[test]
    fn the_scoring_data_is_nearly_all_whole_pages() {
        // About 0.87 MB of lexicons, cue data and models: all but the
        // partial pages at the ends of each of the seven texts.
        let total: usize = crate::pipeline::embedded_data().map(str::len).sum();
        let released = release(crate::pipeline::embedded_data());
        assert!(total > 800_000, "{total}");
        assert!(released > total - 7 * 2 * page_size().unwrap(), "{released} of {total}");
        // The scorer reads what it needs again, unharmed.
        assert_eq!(
            crate::pipeline::Scorer::new().score_text("fuming, 3 hours on hold").label,
            crate::domain::Label::Negative
        );
    }

    #[test]
    fn parsed_text_leaves_memory_and_reads_the_same_after() {
        let before = checksum(TEXT);
        let (start, len) = whole_pages(TEXT.as_ptr() as usize, TEXT.len(), page_size().unwrap()).unwrap();
        let middle = start + len / 2;
        assert!(present(middle), "the text was just read");
        assert_eq!(release([TEXT]), len);
        assert!(!present(middle), "its pages are unmapped");
        assert!(!present(start) && !present(start + len - 1));
        assert_eq!(checksum(TEXT), before, "and read back unchanged");
        assert!(present(middle));
    }
}
