//! `file_read` and `file_write`: chunked transfers with offsets and a final SHA-256.
//!
//! The first call names a `path` and opens a transfer; later calls name the `transfer` id
//! it returned. Several chunks of one transfer may be in flight at once.

use serde::{Deserialize, Serialize};

/// Read `length` bytes at `offset`. First call: `path`; later: `transfer`.
/// With `finish` the reply carries the SHA-256 of the whole file (as opened) and the
/// transfer closes; a one-call read of a small file sets `path` and `finish` together.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileReadParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<u64>,
    #[serde(default)]
    pub offset: u64,
    /// Raw bytes wanted (0 reads nothing), at most `max_chunk_bytes`.
    #[serde(default)]
    pub length: u32,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finish: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReadResult {
    /// The transfer to name in later calls; `None` once finished.
    pub transfer: Option<u64>,
    /// File size when the transfer opened it.
    pub size: u64,
    /// Permission bits (e.g. `0o644`).
    pub mode: u32,
    pub offset: u64,
    /// The bytes read, base64; shorter than asked only at the end of the file.
    pub data: String,
    /// `offset + bytes read >= size`.
    pub eof: bool,
    /// Lower-case hex SHA-256 of the first `size` bytes, on `finish` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// Write `data` at `offset`. First call: `path` (and `mode`, `overwrite`); later:
/// `transfer`. The call carrying `sha256` is the last one: after its data is written the
/// agent checks the whole file's SHA-256 (and `size` when given), then renames the
/// temporary file into place. A mismatch or `abort` removes the temporary file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileWriteParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<u64>,
    #[serde(default)]
    pub offset: u64,
    /// base64, at most `max_chunk_bytes` raw.
    #[serde(default)]
    pub data: String,
    /// Permission bits of the new file (no setuid, setgid or sticky); 0o644 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// Replace an existing file; without it an existing destination is `AlreadyExists`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overwrite: bool,
    /// Lower-case hex SHA-256 of the whole file: marks the last call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Expected final size, checked with `sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Drop the transfer and its temporary file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abort: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileWriteResult {
    /// The transfer to name in later calls; `None` once done or aborted.
    pub transfer: Option<u64>,
    /// Raw bytes this call wrote.
    pub written: u64,
    /// The file is in place under its name.
    pub done: bool,
    /// Final size and SHA-256, when done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}
