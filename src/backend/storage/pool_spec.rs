//! The typed model of a pool to create ([`PoolSpec`], one variant per supported type)
//! and its XML, written with quick_xml's writer from the typed fields (never formatted
//! from strings). Also the writer helper the volume XML uses.
//!
//! What each type becomes (libvirt's storage pool format):
//! - `Dir`: `<target><path>`.
//! - `Fs`: `<source><device path/><format type='auto'/>` and the mount point as target.
//! - `Netfs`: `<source><host name/><dir path/><format type='nfs'/>` and the mount point.
//! - `Logical`: `<source><name>VG</name>` with a `<device path/>` per physical volume
//!   (none: an existing VG) and `<format type='lvm2'/>`; libvirt sets the target `/dev/VG`.
//! - `Iscsi`: `<source><host name/><device path='IQN'/>` (+ `<initiator><iqn name/>`),
//!   target `/dev/disk/by-path` (stable LUN paths).
//! - `Disk`: `<source><device path/>`, target `/dev`; the partition table format is left
//!   to libvirt's default (`dos`), which is also what building the pool writes.

use std::io::Cursor;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;

use super::PoolKind;

/// A pool to create. All fields are what the person typed (trimmed by the checks).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PoolSpec {
    /// A directory on the host.
    Dir { name: String, path: String },
    /// A pre-formatted block device mounted at `path`.
    Fs {
        name: String,
        device: String,
        path: String,
    },
    /// An NFS export mounted at `path`.
    Netfs {
        name: String,
        host: String,
        export: String,
        path: String,
    },
    /// An LVM volume group; `devices` empty means the VG exists already.
    Logical {
        name: String,
        vg: String,
        devices: Vec<String>,
    },
    /// An iSCSI target's LUNs.
    Iscsi {
        name: String,
        host: String,
        iqn: String,
        initiator: Option<String>,
    },
    /// A whole disk whose partitions are the volumes.
    Disk { name: String, device: String },
}

impl PoolSpec {
    pub fn name(&self) -> &str {
        match self {
            PoolSpec::Dir { name, .. }
            | PoolSpec::Fs { name, .. }
            | PoolSpec::Netfs { name, .. }
            | PoolSpec::Logical { name, .. }
            | PoolSpec::Iscsi { name, .. }
            | PoolSpec::Disk { name, .. } => name,
        }
    }

    pub fn kind(&self) -> PoolKind {
        match self {
            PoolSpec::Dir { .. } => PoolKind::Dir,
            PoolSpec::Fs { .. } => PoolKind::Fs,
            PoolSpec::Netfs { .. } => PoolKind::Netfs,
            PoolSpec::Logical { .. } => PoolKind::Logical,
            PoolSpec::Iscsi { .. } => PoolKind::Iscsi,
            PoolSpec::Disk { .. } => PoolKind::Disk,
        }
    }

    /// The local directory the pool lives in or mounts on, if it has one.
    pub fn target_dir(&self) -> Option<&str> {
        match self {
            PoolSpec::Dir { path, .. }
            | PoolSpec::Fs { path, .. }
            | PoolSpec::Netfs { path, .. } => Some(path),
            _ => None,
        }
    }

    /// The same spec with every field trimmed of surrounding white space.
    pub fn trimmed(&self) -> PoolSpec {
        let t = |s: &String| s.trim().to_owned();
        match self {
            PoolSpec::Dir { name, path } => PoolSpec::Dir {
                name: t(name),
                path: t(path),
            },
            PoolSpec::Fs { name, device, path } => PoolSpec::Fs {
                name: t(name),
                device: t(device),
                path: t(path),
            },
            PoolSpec::Netfs {
                name,
                host,
                export,
                path,
            } => PoolSpec::Netfs {
                name: t(name),
                host: t(host),
                export: t(export),
                path: t(path),
            },
            PoolSpec::Logical { name, vg, devices } => PoolSpec::Logical {
                name: t(name),
                vg: t(vg),
                devices: devices.iter().map(t).filter(|d| !d.is_empty()).collect(),
            },
            PoolSpec::Iscsi {
                name,
                host,
                iqn,
                initiator,
            } => PoolSpec::Iscsi {
                name: t(name),
                host: t(host),
                iqn: t(iqn),
                initiator: initiator.as_ref().map(t).filter(|i| !i.is_empty()),
            },
            PoolSpec::Disk { name, device } => PoolSpec::Disk {
                name: t(name),
                device: t(device),
            },
        }
    }

    /// The pool XML, indented by two spaces.
    pub fn to_xml(&self) -> String {
        let mut w = Xw::new();
        w.open("pool", &[("type", self.kind().xml_type())]);
        w.text("name", &[], self.name());
        match self {
            PoolSpec::Dir { path, .. } => w.target(path),
            PoolSpec::Fs { device, path, .. } => {
                w.open("source", &[]);
                w.empty("device", &[("path", device)]);
                w.empty("format", &[("type", "auto")]);
                w.close("source");
                w.target(path);
            }
            PoolSpec::Netfs {
                host, export, path, ..
            } => {
                w.open("source", &[]);
                w.empty("host", &[("name", host)]);
                w.empty("dir", &[("path", export)]);
                w.empty("format", &[("type", "nfs")]);
                w.close("source");
                w.target(path);
            }
            PoolSpec::Logical { vg, devices, .. } => {
                w.open("source", &[]);
                w.text("name", &[], vg);
                for d in devices {
                    w.empty("device", &[("path", d)]);
                }
                w.empty("format", &[("type", "lvm2")]);
                w.close("source");
            }
            PoolSpec::Iscsi {
                host,
                iqn,
                initiator,
                ..
            } => {
                w.open("source", &[]);
                w.empty("host", &[("name", host)]);
                w.empty("device", &[("path", iqn)]);
                if let Some(i) = initiator {
                    w.open("initiator", &[]);
                    w.empty("iqn", &[("name", i)]);
                    w.close("initiator");
                }
                w.close("source");
                w.target("/dev/disk/by-path");
            }
            PoolSpec::Disk { device, .. } => {
                w.open("source", &[]);
                w.empty("device", &[("path", device)]);
                w.close("source");
                w.target("/dev");
            }
        }
        w.close("pool");
        w.finish()
    }
}

/// Small wrapper: writing into a `Vec` cannot fail, so results are dropped here once.
pub(super) struct Xw(Writer<Cursor<Vec<u8>>>);

impl Xw {
    pub fn new() -> Xw {
        Xw(Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2))
    }
    pub fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(tag);
        s.extend_attributes(attrs.iter().copied());
        let _ = self.0.write_event(XmlEvent::Start(s));
    }
    pub fn close(&mut self, tag: &str) {
        let _ = self.0.write_event(XmlEvent::End(BytesEnd::new(tag)));
    }
    pub fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(tag);
        s.extend_attributes(attrs.iter().copied());
        let _ = self.0.write_event(XmlEvent::Empty(s));
    }
    pub fn text(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(tag, attrs);
        let _ = self.0.write_event(XmlEvent::Text(BytesText::new(text)));
        self.close(tag);
    }
    fn target(&mut self, path: &str) {
        self.open("target", &[]);
        self.text("path", &[], path);
        self.close("target");
    }
    pub fn finish(self) -> String {
        let mut s = String::from_utf8(self.0.into_inner().into_inner()).unwrap_or_default();
        s.push('\n');
        s
    }
}
