//! Reusable page buffers, so a worker that processes page after page does not allocate (and
//! fault in) megabytes of fresh memory for each one.
//!
//! A 1100×1600 page is 5.3 MB of RGB, twice (decoded and descrambled). Allocating those per
//! page either costs page faults on every page (when the allocator hands large blocks back
//! to the system) or leaves freed blocks scattered over per-thread arenas (when it keeps
//! them): measured on the download pipeline, +30% CPU or about twice the peak memory. A
//! worker thread that keeps one [`Workspace`] reuses the same buffers instead.

/// Buffers kept between pages. Cheap to create; hold one per worker thread.
#[derive(Debug, Default)]
pub struct Workspace {
    spare: Vec<Vec<u8>>,
}

/// Buffers larger than this are not kept: an unusually large page must not pin its memory
/// for the rest of the run.
const KEEP_AT_MOST_BYTES: usize = 32 << 20;

/// At most this many spare buffers (a page needs two at once).
const KEEP_AT_MOST_BUFFERS: usize = 2;

impl Workspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }

    /// A zeroed buffer of `len` bytes, reusing a spare one when it is big enough.
    pub(crate) fn take(&mut self, len: usize) -> Vec<u8> {
        let pos = self.spare.iter().position(|b| b.capacity() >= len);
        let mut buf = match pos {
            Some(i) => self.spare.swap_remove(i),
            None => Vec::new(),
        };
        buf.clear();
        buf.resize(len, 0);
        buf
    }

    /// Gives a buffer back for later pages.
    pub(crate) fn give(&mut self, buf: Vec<u8>) {
        if buf.capacity() == 0 || buf.capacity() > KEEP_AT_MOST_BYTES {
            return;
        }
        if self.spare.len() >= KEEP_AT_MOST_BUFFERS {
            // Keep the larger ones: they fit more pages.
            if let Some((i, smallest)) = self
                .spare
                .iter()
                .enumerate()
                .min_by_key(|(_, b)| b.capacity())
                && smallest.capacity() < buf.capacity()
            {
                self.spare[i] = buf;
            }
            return;
        }
        self.spare.push(buf);
    }

    /// Gives an image's pixel buffer back for later pages.
    pub fn recycle(&mut self, image: crate::RgbImage) {
        self.give(image.data);
    }

    /// Bytes currently kept.
    pub fn kept_bytes(&self) -> usize {
        self.spare.iter().map(Vec::capacity).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_and_bounds() {
        let mut ws = Workspace::new();
        let a = ws.take(1000);
        let ptr = a.as_ptr();
        assert_eq!(a.len(), 1000);
        ws.give(a);
        let b = ws.take(500);
        assert_eq!(b.as_ptr(), ptr, "the spare buffer is reused");
        assert!(b.iter().all(|&x| x == 0));
        ws.give(b);
        ws.give(vec![0; 10]);
        ws.give(vec![0; 2000]);
        assert!(ws.kept_bytes() >= 3000 && ws.spare.len() == 2);
        ws.give(Vec::with_capacity(KEEP_AT_MOST_BYTES + 1));
        assert!(ws.kept_bytes() < KEEP_AT_MOST_BYTES);
    }
}
