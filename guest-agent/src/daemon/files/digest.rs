//! The whole-file SHA-256 that ends a transfer, computed while the chunks go by.
//!
//! Chunks usually arrive in order, so each one that continues the hashed prefix is hashed
//! at once (overlapping the guest's CPU work with the channel's transfer time) and the
//! final call only hashes what is left, instead of reading the whole file again. A chunk
//! that arrives early is simply left for the final call; on the write side, a chunk that
//! rewrites bytes already hashed restarts the digest, and a written chunk is hashed from
//! the file (under the lock) rather than from memory, so a concurrent overlapping write
//! can never leave stale bytes in the digest.

use super::read_at;
use kvm_guest_agent::protocol::RpcError;
use kvm_guest_agent::transfer::Checksum;
use std::fs::File;
use std::sync::Mutex;

#[derive(Default)]
pub(super) struct RunningHash(Mutex<Prefix>);

#[derive(Default)]
struct Prefix {
    upto: u64,
    sum: Checksum,
}

impl RunningHash {
    /// Read side: `data` was read at `offset` (the file does not change under us).
    pub fn read(&self, offset: u64, data: &[u8]) {
        let mut p = self.0.lock().unwrap();
        if offset == p.upto {
            p.sum.update(data);
            p.upto += data.len() as u64;
        }
    }

    /// Write side: `len` bytes were just written at `offset` of `file`.
    pub fn wrote(&self, file: &File, offset: u64, len: u64) -> Result<(), RpcError> {
        let mut p = self.0.lock().unwrap();
        if offset < p.upto {
            *p = Prefix::default();
        }
        if offset == p.upto && len > 0 {
            let upto = p.upto;
            hash_range(file, &mut p.sum, upto, upto + len)?;
            p.upto += len;
        }
        Ok(())
    }

    /// The digest of the first `size` bytes of `file`, in lower-case hex.
    pub fn finish(&self, file: &File, size: u64) -> Result<String, RpcError> {
        let mut p = std::mem::take(&mut *self.0.lock().unwrap());
        if p.upto > size {
            p = Prefix::default();
        }
        hash_range(file, &mut p.sum, p.upto, size)?;
        Ok(p.sum.finish_hex())
    }
}

fn hash_range(file: &File, sum: &mut Checksum, from: u64, to: u64) -> Result<(), RpcError> {
    let mut buf = vec![0u8; (to - from).min(1024 * 1024) as usize];
    let mut offset = from;
    while offset < to {
        let want = (to - offset).min(buf.len() as u64) as usize;
        let n = read_at(file, &mut buf[..want], offset)?;
        if n == 0 {
            break;
        }
        sum.update(&buf[..n]);
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvm_guest_agent::transfer::sha256_hex;
    use std::os::unix::fs::FileExt;

    fn file_with(bytes: &[u8]) -> File {
        let f = tempfile::tempfile().unwrap();
        f.write_all_at(bytes, 0).unwrap();
        f
    }

    #[test]
    fn in_order_out_of_order_and_rewritten_chunks_all_give_the_file_digest() {
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let f = file_with(&bytes);
        // Reads in order, out of order, and not at all.
        for order in [vec![0, 1, 2, 3, 4], vec![1, 0, 3, 2, 4], vec![4, 3], vec![]] {
            let h = RunningHash::default();
            for i in order {
                let (a, b) = (i * 2000, (i + 1) * 2000);
                h.read(a as u64, &bytes[a..b]);
            }
            assert_eq!(
                h.finish(&f, bytes.len() as u64).unwrap(),
                sha256_hex(&bytes)
            );
        }
        // Writes: a chunk rewritten after it was hashed restarts the digest.
        let h = RunningHash::default();
        let g = file_with(&bytes);
        h.wrote(&g, 0, 2000).unwrap();
        h.wrote(&g, 2000, 2000).unwrap();
        g.write_all_at(&[0xAA; 100], 1000).unwrap();
        h.wrote(&g, 1000, 100).unwrap();
        let mut now = bytes.clone();
        now[1000..1100].fill(0xAA);
        assert_eq!(h.finish(&g, now.len() as u64).unwrap(), sha256_hex(&now));
        // A shorter size than what was hashed starts over.
        let h = RunningHash::default();
        h.read(0, &bytes);
        assert_eq!(h.finish(&f, 10).unwrap(), sha256_hex(&bytes[..10]));
    }
}
