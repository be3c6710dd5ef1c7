//! Creating the machine: volumes first (an imported image is uploaded through a libvirt
//! stream, `virStorageVolUpload`), then the domain. Every side effect is recorded; when a
//! later step fails they are undone in reverse (domain undefined, volumes deleted) and the
//! error says what failed, plus anything the rollback could not remove.

use std::fs::File;
use std::io::Cursor;
use std::io::Read;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;
use virt::sys;

use super::prepare::{check_custom_xml, prepare, NewVolume};
use super::{CreatePlan, CreateStep};
use crate::backend::error::BackendError;
use crate::backend::osinfo::iso::unreadable;
use crate::backend::summary::summary_of;
use crate::backend::types::VmSummary;
use crate::i18n::gettext_f;

/// Upload chunk size.
const CHUNK: usize = 1 << 20;

fn virt_err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

type Xw = Writer<Cursor<Vec<u8>>>;

// Writing into a Vec cannot fail: write results are dropped.
fn text_el(w: &mut Xw, tag: &str, attrs: &[(&str, &str)], value: &str) {
    let mut s = BytesStart::new(tag);
    s.extend_attributes(attrs.iter().copied());
    let _ = w.write_event(XmlEvent::Start(s));
    let _ = w.write_event(XmlEvent::Text(BytesText::new(value)));
    let _ = w.write_event(XmlEvent::End(BytesEnd::new(tag)));
}

/// `<volume>` for a new, empty volume (writer-built).
pub(super) fn volume_xml(v: &NewVolume) -> String {
    let mut w: Xw = Writer::new(Cursor::new(Vec::new()));
    let _ = w.write_event(XmlEvent::Start(BytesStart::new("volume")));
    text_el(&mut w, "name", &[], &v.name);
    text_el(
        &mut w,
        "capacity",
        &[("unit", "bytes")],
        &v.capacity_bytes.to_string(),
    );
    text_el(&mut w, "allocation", &[("unit", "bytes")], "0");
    let _ = w.write_event(XmlEvent::Start(BytesStart::new("target")));
    let mut format = BytesStart::new("format");
    format.push_attribute(("type", v.format.as_str()));
    let _ = w.write_event(XmlEvent::Empty(format));
    let _ = w.write_event(XmlEvent::End(BytesEnd::new("target")));
    let _ = w.write_event(XmlEvent::End(BytesEnd::new("volume")));
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

/// What was done so far, for rollback.
#[derive(Default)]
struct Done {
    volumes: Vec<(String, StorageVol)>,
    domain: Option<Domain>,
}

impl Done {
    /// Undo everything; returns a sentence per thing that could not be undone.
    fn undo(self) -> Vec<String> {
        let mut left = Vec::new();
        if let Some(dom) = self.domain {
            let flags = sys::VIR_DOMAIN_UNDEFINE_NVRAM | sys::VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
            if let Err(e) = dom.undefine_flags(flags).or_else(|_| dom.undefine()) {
                left.push(gettext_f(
                    "the new machine could not be removed again: {error}",
                    &[("error", e.message())],
                ));
            }
        }
        for (name, vol) in self.volumes.into_iter().rev() {
            if let Err(e) = vol.delete(0) {
                left.push(gettext_f(
                    "the volume “{volume}” could not be deleted: {error}",
                    &[("volume", &name), ("error", e.message())],
                ));
            }
        }
        left
    }
}

/// Create the machine `plan` describes. See the module doc for the order and rollback.
pub fn create(
    conn: &Connect,
    plan: &CreatePlan,
    progress: &mut dyn FnMut(CreateStep),
) -> Result<VmSummary, BackendError> {
    progress(CreateStep::Validating);
    let prepared = prepare(conn, plan)?;
    let xml = match &plan.custom_xml {
        Some(x) => {
            check_custom_xml(conn, x)?;
            x.clone()
        }
        None => prepared.spec.to_xml(),
    };
    let mut done = Done::default();
    match run_steps(conn, &prepared.volumes, &xml, &mut done, progress) {
        Ok(summary) => Ok(summary),
        Err(mut e) => {
            progress(CreateStep::RollingBack);
            let left = done.undo();
            if !left.is_empty() {
                log::error!("rollback after a failed create left: {left:?}");
                e.message = format!("{}; {}", e.message, left.join("; "));
            }
            Err(e)
        }
    }
}

fn run_steps(
    conn: &Connect,
    volumes: &[NewVolume],
    xml: &str,
    done: &mut Done,
    progress: &mut dyn FnMut(CreateStep),
) -> Result<VmSummary, BackendError> {
    for v in volumes {
        progress(CreateStep::CreatingVolume {
            pool: v.pool.clone(),
            volume: v.name.clone(),
        });
        let pool = conn
            .lookup_storage_pool_by_name(&v.pool)
            .map_err(virt_err)?;
        let vol = StorageVol::create_xml(&pool, &volume_xml(v), 0).map_err(virt_err)?;
        done.volumes.push((v.name.clone(), vol.clone()));
        if let Some((path, size)) = &v.upload {
            upload(conn, &vol, &v.name, path, *size, progress)?;
        }
    }
    progress(CreateStep::Defining);
    let dom = conn
        .define_domain_xml_flags(xml, sys::VIR_DOMAIN_DEFINE_VALIDATE)
        .map_err(virt_err)?;
    done.domain = Some(dom.clone());
    summary_of(&dom)
}

/// Copy `path` into `vol` through a stream, reporting progress about once per percent.
fn upload(
    conn: &Connect,
    vol: &StorageVol,
    name: &str,
    path: &std::path::Path,
    size: u64,
    progress: &mut dyn FnMut(CreateStep),
) -> Result<(), BackendError> {
    let mut file = File::open(path).map_err(|e| unreadable(path, &e))?;
    let stream = Stream::new(conn, 0).map_err(virt_err)?;
    vol.upload(&stream, 0, size, 0).map_err(virt_err)?;
    let report = |sent: u64, progress: &mut dyn FnMut(CreateStep)| {
        progress(CreateStep::Uploading {
            volume: name.to_owned(),
            sent_bytes: sent,
            total_bytes: size,
        })
    };
    report(0, progress);
    let mut buf = vec![0u8; CHUNK];
    let mut sent = 0u64;
    let mut last_pct = 0u64;
    let result = loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(unreadable(path, &e)),
        };
        let mut off = 0;
        let mut failed = None;
        while off < n {
            match stream.send(&buf[off..n]) {
                Ok(k) if k > 0 => off += k as usize,
                // -2 (would block) cannot happen on a blocking stream; 0 means closed.
                Ok(_) => {
                    failed = Some(BackendError::new(
                        crate::backend::error::ErrorKind::Other,
                        gettext_f(
                            "The host closed the upload of “{volume}” early.",
                            &[("volume", name)],
                        ),
                    ));
                    break;
                }
                Err(e) => {
                    failed = Some(virt_err(e));
                    break;
                }
            }
        }
        if let Some(e) = failed {
            break Err(e);
        }
        sent += n as u64;
        let pct = sent.saturating_mul(100) / size.max(1);
        if pct > last_pct {
            last_pct = pct;
            report(sent, progress);
        }
    };
    match result {
        Ok(()) => stream.finish().map_err(virt_err),
        Err(e) => {
            let _ = stream.abort();
            Err(e)
        }
    }
}
