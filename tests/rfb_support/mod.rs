//! A scripted RFB 3.8 server for the VNC view's tests: it runs on a thread over one end
//! of a socket pair, says what a test tells it to (including wrong and hostile things),
//! and records what the client sends (key and pointer events, update requests). Also the
//! client side's helpers: a view recording its states, the reason it ended with.
#![allow(dead_code)]

use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use kvm_manager::ui::widgets::display::DisplayState;
use kvm_manager::ui::widgets::vnc_view::VncView;

/// A client → server message, as far as the tests care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMsg {
    SetPixelFormat {
        bpp: u8,
        depth: u8,
        big_endian: bool,
    },
    SetEncodings(Vec<i32>),
    UpdateRequest {
        incremental: bool,
    },
    Key {
        down: bool,
        keysym: u32,
    },
    Pointer {
        buttons: u8,
        x: u16,
        y: u16,
    },
    /// QEMU extended key event: keysym and the XT ("qnum") key code.
    ExtKey {
        down: bool,
        keysym: u32,
        keycode: u32,
    },
    CutText(usize),
    /// SetDesktopSize (ExtendedDesktopSize): the size the client asks the guest for.
    SetDesktopSize {
        width: u16,
        height: u16,
    },
    Other(u8),
}

/// The server's end: write a script, read what the client said.
pub struct Server {
    pub stream: UnixStream,
    pub seen: Arc<Mutex<Vec<ClientMsg>>>,
}

/// A running script.
pub struct Spawned {
    pub client: UnixStream,
    pub seen: Arc<Mutex<Vec<ClientMsg>>>,
    pub script: thread::JoinHandle<()>,
}

/// How the server authenticates the client.
#[derive(Clone, Copy)]
pub enum Security {
    None,
    /// VNC authentication, always answered with a failure and this reason.
    VncRejected(&'static str),
}

pub const ENC_RAW: i32 = 0;
pub const ENC_DESKTOP_SIZE: i32 = -223;
pub const ENC_EXT_KEY_EVENT: i32 = -258;
pub const ENC_EXTENDED_DESKTOP_SIZE: i32 = -308;

/// The one pixel format the server speaks: 32-bit little-endian xRGB.
fn pixel_format() -> [u8; 16] {
    let mut pf = [0u8; 16];
    pf[0] = 32; // bits per pixel
    pf[1] = 24; // depth
    pf[2] = 0; // little endian
    pf[3] = 1; // true colour
    pf[4..6].copy_from_slice(&255u16.to_be_bytes());
    pf[6..8].copy_from_slice(&255u16.to_be_bytes());
    pf[8..10].copy_from_slice(&255u16.to_be_bytes());
    pf[10] = 16;
    pf[11] = 8;
    pf[12] = 0;
    pf
}

impl Server {
    /// Start `script` on a thread with the server's end; returns the client's end and
    /// what the client sends (recorded after [`Server::init`] until it hangs up).
    pub fn spawn(script: impl FnOnce(Server) + Send + 'static) -> Spawned {
        let (client, server) = UnixStream::pair().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = seen.clone();
        let script = thread::spawn(move || {
            script(Server {
                stream: server,
                seen: recorded,
            })
        });
        Spawned {
            client,
            seen,
            script,
        }
    }

    fn read(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0; n];
        self.stream.read_exact(&mut buf)?;
        Ok(buf)
    }

    pub fn write(&mut self, bytes: &[u8]) {
        // The client may already have hung up (that is what some tests check).
        let _ = self.stream.write_all(bytes);
    }

    /// Version, security and client init. `false` when the client gave up.
    pub fn handshake(&mut self, security: Security) -> bool {
        self.write(b"RFB 003.008\n");
        if self.read(12).is_err() {
            return false;
        }
        let kind = match security {
            Security::None => 1u8,
            Security::VncRejected(_) => 2,
        };
        self.write(&[1, kind]);
        match self.read(1) {
            Ok(c) if c[0] == kind => {}
            _ => return false,
        }
        if let Security::VncRejected(reason) = security {
            self.write(&[7u8; 16]);
            if self.read(16).is_err() {
                return false;
            }
            let mut msg = 1u32.to_be_bytes().to_vec();
            msg.extend((reason.len() as u32).to_be_bytes());
            msg.extend(reason.as_bytes());
            self.write(&msg);
            return false;
        }
        self.write(&0u32.to_be_bytes());
        self.read(1).is_ok()
    }

    /// ServerInit for a `w` × `h` desktop, then record the client's messages on a thread.
    pub fn init(&mut self, w: u16, h: u16) {
        let mut msg = Vec::new();
        msg.extend(w.to_be_bytes());
        msg.extend(h.to_be_bytes());
        msg.extend(pixel_format());
        let name = b"kvmm-test";
        msg.extend((name.len() as u32).to_be_bytes());
        msg.extend(name);
        self.write(&msg);
        let reader = self.stream.try_clone().unwrap();
        let seen = self.seen.clone();
        thread::spawn(move || record(reader, seen));
    }

    /// Wait (up to 10 s) until the client sent a message matching `pred`.
    pub fn wait_for(&self, pred: impl Fn(&ClientMsg) -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.seen.lock().unwrap().iter().any(&pred) {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// One FramebufferUpdate header announcing `rects` rectangles.
    pub fn update_header(&mut self, rects: u16) {
        let mut msg = vec![0u8, 0];
        msg.extend(rects.to_be_bytes());
        self.write(&msg);
    }

    pub fn rect_header(&mut self, x: u16, y: u16, w: u16, h: u16, encoding: i32) {
        let mut msg = Vec::new();
        for v in [x, y, w, h] {
            msg.extend(v.to_be_bytes());
        }
        msg.extend(encoding.to_be_bytes());
        self.write(&msg);
    }

    /// A raw rectangle filled with `xrgb`.
    pub fn raw_rect(&mut self, x: u16, y: u16, w: u16, h: u16, xrgb: u32) {
        self.rect_header(x, y, w, h, ENC_RAW);
        let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
            .flat_map(|_| xrgb.to_le_bytes())
            .collect();
        self.write(&pixels);
    }

    /// An ExtendedDesktopSize rectangle: the desktop is `w` × `h`, one screen.
    pub fn extended_desktop_size(&mut self, w: u16, h: u16) {
        self.rect_header(0, 0, w, h, ENC_EXTENDED_DESKTOP_SIZE);
        let mut msg = vec![1u8, 0, 0, 0];
        msg.extend(0u32.to_be_bytes());
        for v in [0u16, 0, w, h] {
            msg.extend(v.to_be_bytes());
        }
        msg.extend(0u32.to_be_bytes());
        self.write(&msg);
    }

    /// Close both directions at once.
    pub fn hang_up(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

fn record(mut s: UnixStream, seen: Arc<Mutex<Vec<ClientMsg>>>) {
    let mut read = |n: usize| -> Option<Vec<u8>> {
        let mut b = vec![0; n];
        s.read_exact(&mut b).ok().map(|_| b)
    };
    let u16_at = |b: &[u8], i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let u32_at = |b: &[u8], i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    while let Some(t) = read(1) {
        let msg = match t[0] {
            0 => {
                let Some(b) = read(19) else { break };
                ClientMsg::SetPixelFormat {
                    bpp: b[3],
                    depth: b[4],
                    big_endian: b[5] != 0,
                }
            }
            2 => {
                let Some(b) = read(3) else { break };
                let n = u16_at(&b, 1) as usize;
                let Some(e) = read(4 * n) else { break };
                ClientMsg::SetEncodings((0..n).map(|i| u32_at(&e, 4 * i) as i32).collect())
            }
            3 => {
                let Some(b) = read(9) else { break };
                ClientMsg::UpdateRequest {
                    incremental: b[0] != 0,
                }
            }
            4 => {
                let Some(b) = read(7) else { break };
                ClientMsg::Key {
                    down: b[0] != 0,
                    keysym: u32_at(&b, 3),
                }
            }
            5 => {
                let Some(b) = read(5) else { break };
                ClientMsg::Pointer {
                    buttons: b[0],
                    x: u16_at(&b, 1),
                    y: u16_at(&b, 3),
                }
            }
            6 => {
                let Some(b) = read(7) else { break };
                let n = u32_at(&b, 3) as usize;
                if read(n).is_none() {
                    break;
                }
                ClientMsg::CutText(n)
            }
            251 => {
                let Some(b) = read(7) else { break };
                let screens = usize::from(b[5]);
                if read(16 * screens).is_none() {
                    break;
                }
                ClientMsg::SetDesktopSize {
                    width: u16_at(&b, 1),
                    height: u16_at(&b, 3),
                }
            }
            255 => {
                let Some(b) = read(11) else { break };
                ClientMsg::ExtKey {
                    down: u16_at(&b, 1) != 0,
                    keysym: u32_at(&b, 3),
                    keycode: u32_at(&b, 7),
                }
            }
            other => {
                seen.lock().unwrap().push(ClientMsg::Other(other));
                break;
            }
        };
        seen.lock().unwrap().push(msg);
    }
}

/// A view with every state it went through recorded.
pub fn view() -> (VncView, Rc<RefCell<Vec<DisplayState>>>) {
    let view = VncView::new();
    let states = Rc::new(RefCell::new(Vec::new()));
    let s = states.clone();
    view.connect_state_changed(move |_, st| s.borrow_mut().push(st.clone()));
    (view, states)
}

pub fn ended_with_reason(view: &VncView) -> String {
    match view.state() {
        DisplayState::Disconnected(Some(reason)) => {
            println!("  ended: {reason}");
            reason
        }
        other => panic!("expected Disconnected(Some(_)), got {other:?}"),
    }
}
