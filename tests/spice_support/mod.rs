//! A scripted SPICE server for the SPICE view's tests: just enough of the protocol for
//! spice-client-glib to open a session (link, a ticket it never checks, main init, the
//! channel list), then a primary surface of any size and format, or garbage, or a close.
//! It records what the client sends on the inputs channel.
//!
//! Wire format (little-endian, SPICE 2.2): a link header ("REDQ", 2, 2, size) and link
//! message from the client; our link reply (no error, an RSA-1024 public key, the
//! mini-header capability only, so the client sends its 128-byte ticket without choosing
//! an auth mechanism); a u32 link result; then messages as (u16 type, u32 size, body).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

const MAIN: u8 = 1;
const DISPLAY: u8 = 2;
const INPUTS: u8 = 3;

const MSG_MAIN_INIT: u16 = 103;
const MSG_MAIN_CHANNELS_LIST: u16 = 104;
const MSG_DISPLAY_SURFACE_CREATE: u16 = 314;
pub const MSGC_INPUTS_KEY_DOWN: u16 = 101;
pub const MSGC_INPUTS_KEY_UP: u16 = 102;

/// SPICE_SURFACE_FMT_32_xRGB and _16_565.
pub const FMT_XRGB32: u32 = 32;
pub const FMT_RGB565: u32 = 80;

/// A throw-away RSA-1024 public key (DER SubjectPublicKeyInfo, 162 bytes): the client
/// encrypts its ticket with it; this server never decrypts.
const PUBKEY_HEX: [&str; 6] = [
    "30819f300d06092a864886f70d010101050003818d0030818902818100cd4afb",
    "c4c9876127d3ddfcf4bc0418b55d8d99dba4c41f9ef28f8ac52517a6127ac926",
    "5cda0d490de73e4931d5d3413a141d9a01caf49f766433576d0b286f8de0da8a",
    "ccb27396cc8a79df0392860a8aa32e01011f9bae38b78cd294714779636a3ad7",
    "77193afb092662e66269032c60ac19d722dfb517760158f0ac134b4fef020301",
    "0001",
];

/// What the server does.
#[derive(Debug, Clone, Copy)]
pub enum Script {
    /// A normal session whose display 0 gets a `width` × `height` primary surface.
    Surface {
        width: u32,
        height: u32,
        format: u32,
    },
    /// Like `Surface`, then every connection closes in order after `after`.
    SurfaceThenClose {
        width: u32,
        height: u32,
        after: Duration,
    },
    /// Answers the link with bytes that are not SPICE.
    Garbage,
    /// Accepts and closes at once.
    CloseAtOnce,
}

/// The messages the client sent on its inputs channel: (type, body).
pub type Inputs = Arc<Mutex<Vec<(u16, Vec<u8>)>>>;

pub struct Server {
    pub port: u16,
    pub inputs: Inputs,
    _accept: JoinHandle<()>,
}

impl Server {
    /// Listens on 127.0.0.1 (any free port) and serves every connection by `script`.
    pub fn spawn(script: Script) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let inputs: Inputs = Arc::default();
        let rec = inputs.clone();
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let rec = rec.clone();
                std::thread::spawn(move || serve(conn, script, rec));
            }
        });
        Server {
            port,
            inputs,
            _accept: accept,
        }
    }

    /// Connected sockets to this server, as libvirt's `virDomainOpenGraphicsFD` gives.
    pub fn sockets(&self, n: usize) -> Vec<std::os::fd::OwnedFd> {
        (0..n)
            .map(|_| TcpStream::connect(("127.0.0.1", self.port)).unwrap().into())
            .collect()
    }

    /// The u32 bodies of the inputs messages of `kind`, in order.
    pub fn codes(&self, kind: u16) -> Vec<u32> {
        self.inputs
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, b)| *t == kind && b.len() >= 4)
            .map(|(_, b)| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }
}

fn le32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

fn message(out: &mut impl Write, kind: u16, body: &[u8]) -> std::io::Result<()> {
    let mut buf = kind.to_le_bytes().to_vec();
    buf.extend_from_slice(&le32(body.len() as u32));
    buf.extend_from_slice(body);
    out.write_all(&buf)
}

/// The link stage; returns the channel type the client asked for.
fn link(conn: &mut TcpStream) -> std::io::Result<u8> {
    let mut header = [0u8; 16];
    conn.read_exact(&mut header)?;
    if &header[..4] != b"REDQ" {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let size = u32::from_le_bytes(header[12..16].try_into().unwrap()) as usize;
    let mut mess = vec![0u8; size.min(4096)];
    conn.read_exact(&mut mess)?;
    let channel_type = mess[4];

    let pubkey: Vec<u8> = PUBKEY_HEX
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
        .collect();
    let mut reply = le32(0).to_vec(); // SPICE_LINK_ERR_OK
    reply.extend_from_slice(&pubkey);
    reply.extend_from_slice(&le32(1)); // common caps
    reply.extend_from_slice(&le32(0)); // channel caps
    reply.extend_from_slice(&le32(4 + 162 + 12)); // caps offset
    reply.extend_from_slice(&le32(1 << 3)); // SPICE_COMMON_CAP_MINI_HEADER
    let mut out = b"REDQ".to_vec();
    out.extend_from_slice(&le32(2));
    out.extend_from_slice(&le32(2));
    out.extend_from_slice(&le32(reply.len() as u32));
    out.extend_from_slice(&reply);
    conn.write_all(&out)?;
    let mut ticket = [0u8; 128];
    conn.read_exact(&mut ticket)?;
    conn.write_all(&le32(0))?; // link result: OK
    Ok(channel_type)
}

fn serve(mut conn: TcpStream, script: Script, inputs: Inputs) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    match script {
        Script::CloseAtOnce => return,
        Script::Garbage => {
            let _ = conn.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nnot spice at all\n");
            std::thread::sleep(Duration::from_millis(100));
            return;
        }
        _ => {}
    }
    let Ok(channel) = link(&mut conn) else { return };
    let (width, height, format, close_after) = match script {
        Script::Surface {
            width,
            height,
            format,
        } => (width, height, format, None),
        Script::SurfaceThenClose {
            width,
            height,
            after,
        } => (width, height, FMT_XRGB32, Some(after)),
        _ => unreachable!(),
    };
    let sent = match channel {
        MAIN => {
            let mut init = Vec::new();
            // session id, display hint, mouse modes (server|client), current (server),
            // agent connected, agent tokens, multimedia time, RAM hint.
            for v in [1, 1, 3, 1, 0, 0, 0, 0] {
                init.extend_from_slice(&le32(v));
            }
            let mut list = le32(2).to_vec();
            list.extend_from_slice(&[DISPLAY, 0, INPUTS, 0]);
            message(&mut conn, MSG_MAIN_INIT, &init)
                .and_then(|_| message(&mut conn, MSG_MAIN_CHANNELS_LIST, &list))
        }
        DISPLAY => {
            let mut create = Vec::new();
            for v in [0, width, height, format, 1] {
                create.extend_from_slice(&le32(v)); // id, size, format, PRIMARY
            }
            message(&mut conn, MSG_DISPLAY_SURFACE_CREATE, &create)
        }
        _ => Ok(()),
    };
    if sent.is_err() {
        return;
    }
    if let Some(after) = close_after {
        // An orderly end, as QEMU's: read what the client sent (closing with unread data
        // would be a reset), then close our side and wait for the client to close its own.
        let _ = conn.set_read_timeout(Some(after));
        drain(&mut conn);
        let _ = conn.shutdown(std::net::Shutdown::Write);
        let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
        drain(&mut conn);
        return;
    }
    // Read what the client says until it goes; keep the inputs channel's messages.
    loop {
        let mut head = [0u8; 6];
        if conn.read_exact(&mut head).is_err() {
            return;
        }
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let size = u32::from_le_bytes(head[2..6].try_into().unwrap()) as usize;
        let mut body = vec![0u8; size.min(1 << 20)];
        if conn.read_exact(&mut body).is_err() {
            return;
        }
        if channel == INPUTS {
            inputs.lock().unwrap().push((kind, body));
        }
    }
}

/// Read and drop until EOF, an error or the read timeout.
fn drain(conn: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    while matches!(conn.read(&mut buf), Ok(n) if n > 0) {}
}
