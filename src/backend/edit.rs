//! Editing a machine's settings: name, description, autostart, boot order, vCPUs, memory
//! and tags ([`VmEdit`]), with an answer that says when the change takes effect
//! ([`Applied`]) so the UI can say "applied now" or "takes effect at next boot".
//!
//! Which state each change touches: a running persistent domain gets the live change where
//! libvirt allows it and the saved configuration always; a stopped one its configuration;
//! a transient one (it has no configuration) only the live change. Changes that need a
//! shut-off machine (rename) or a configuration (autostart, boot order on a transient
//! domain) are refused up front with a message that says why; bad values are refused
//! before anything is touched. vCPUs and memory live in [`resources`](super::resources),
//! boot order in [`boot`](super::boot), tags in [`tags`](super::tags).

use gettextrs::gettext;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use super::boot::{with_boot_order, BootDevice};
use super::error::{BackendError, ErrorKind};
use super::names::{check_new_name, validate_name};
use super::summary::{lookup, summary_of};
use super::tags::{normalize_tags, read_tags};
use super::types::VmSummary;
use super::{resources, tags};
use crate::i18n::gettext_f;

/// One change to a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmEdit {
    /// New name (see [`names`](super::names) for the rule); only while shut off.
    Rename(String),
    /// Free text; empty removes it.
    Description(String),
    /// Start with the host.
    Autostart(bool),
    /// The devices to boot from, first to last (at least one).
    BootOrder(Vec<BootDevice>),
    /// Number of virtual CPUs (the maximum is raised when needed while shut off).
    Vcpus(u32),
    /// Memory in KiB; `max_kib` also changes the maximum (only at next boot when running).
    Memory {
        current_kib: u64,
        max_kib: Option<u64>,
    },
    /// Replace all tags.
    Tags(Vec<String>),
    /// Add one tag (nothing happens if it is there already, ignoring case).
    AddTag(String),
    /// Remove one tag (ignoring case; nothing happens if it is not there).
    RemoveTag(String),
}

impl VmEdit {
    /// What the edit changes, as a noun for messages ("name", "memory"). Translated.
    pub fn what(&self) -> String {
        match self {
            VmEdit::Rename(_) => gettext("name"),
            VmEdit::Description(_) => gettext("description"),
            VmEdit::Autostart(_) => gettext("autostart"),
            VmEdit::BootOrder(_) => gettext("boot order"),
            VmEdit::Vcpus(_) => gettext("vCPUs"),
            VmEdit::Memory { .. } => gettext("memory"),
            VmEdit::Tags(_) | VmEdit::AddTag(_) | VmEdit::RemoveTag(_) => gettext("tags"),
        }
    }
}

/// When a successful edit takes effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// In effect now: the running machine has it (and keeps it, if persistent), or the
    /// machine is shut off and starts with it.
    Now,
    /// Saved; the running machine keeps the old value until it starts again. `reason`
    /// (translated, or libvirt's words) says why it could not change now.
    NextBoot { reason: String },
    /// Part is in effect now, the rest (`reason` says which) from the next start.
    NowAndNextBoot { reason: String },
}

impl Applied {
    /// One sentence for a toast: when the change to `name` takes effect. Translated.
    pub fn sentence(&self, name: &str) -> String {
        match self {
            Applied::Now => gettext_f("The change to “{name}” is in effect.", &[("name", name)]),
            Applied::NextBoot { reason } if reason.is_empty() => gettext_f(
                "Saved. The change takes effect when “{name}” next starts.",
                &[("name", name)],
            ),
            Applied::NextBoot { reason } => gettext_f(
                "Saved. The change takes effect when “{name}” next starts: {reason}",
                &[("name", name), ("reason", reason)],
            ),
            Applied::NowAndNextBoot { reason } => gettext_f(
                "Applied to “{name}” now, except: {reason}",
                &[("name", name), ("reason", reason)],
            ),
        }
    }

    /// Whether the running machine still has the old value (wholly or in part).
    pub fn waits_for_restart(&self) -> bool {
        !matches!(self, Applied::Now)
    }
}

/// The domain being edited and the facts every edit needs.
pub(super) struct Target {
    pub dom: Domain,
    pub uuid: String,
    pub name: String,
    /// Has a QEMU process (running, paused...): live changes apply.
    pub active: bool,
    /// Has a saved configuration (not transient).
    pub persistent: bool,
}

impl Target {
    fn new(conn: &Connect, uuid: &str) -> Result<Target, BackendError> {
        let dom = lookup(conn, uuid)?;
        let v = |e: virt::error::Error| BackendError::from_virt(&e);
        Ok(Target {
            name: dom.name().map_err(v)?,
            active: dom.is_active().map_err(v)?,
            persistent: dom.is_persistent().map_err(v)?,
            uuid: uuid.to_ascii_lowercase(),
            dom,
        })
    }

    /// The states a metadata change goes to, one flag each: live and config when running
    /// and persistent, config when shut off, live when transient.
    pub fn states(&self) -> Vec<u32> {
        let mut out = Vec::with_capacity(2);
        if self.active {
            out.push(sys::VIR_DOMAIN_AFFECT_LIVE);
        }
        if self.persistent {
            out.push(sys::VIR_DOMAIN_AFFECT_CONFIG);
        }
        out
    }
}

/// A refusal of ours: `kind`, what is wrong and what to do.
pub(super) fn refuse(kind: ErrorKind, message: String, hint: String) -> BackendError {
    BackendError {
        kind,
        message,
        hint,
    }
}

fn virt_err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

/// Apply `edit` to the domain with `uuid`.
pub fn apply_edit(conn: &Connect, uuid: &str, edit: &VmEdit) -> Result<Applied, BackendError> {
    let t = Target::new(conn, uuid)?;
    apply(conn, &t, edit)
}

fn apply(conn: &Connect, t: &Target, edit: &VmEdit) -> Result<Applied, BackendError> {
    match edit {
        VmEdit::Rename(new) => rename(conn, t, new),
        VmEdit::Description(text) => describe(t, text),
        VmEdit::Autostart(on) => autostart(t, *on),
        VmEdit::BootOrder(order) => boot_order(conn, t, order),
        VmEdit::Vcpus(n) => resources::set_vcpus(t, *n),
        VmEdit::Memory {
            current_kib,
            max_kib,
        } => resources::set_memory(t, *current_kib, *max_kib),
        VmEdit::Tags(list) => set_tags(t, &normalize_tags(list)?),
        VmEdit::AddTag(tag) => {
            let mut list = read_tags(&t.dom)?;
            list.push(tag.clone());
            set_tags(t, &normalize_tags(&list)?)
        }
        VmEdit::RemoveTag(tag) => {
            let gone = tag.trim().to_lowercase();
            let mut list = read_tags(&t.dom)?;
            list.retain(|x| x.to_lowercase() != gone);
            set_tags(t, &list)
        }
    }
}

fn rename(conn: &Connect, t: &Target, new: &str) -> Result<Applied, BackendError> {
    validate_name(new)?;
    if new == t.name {
        return Ok(Applied::Now);
    }
    check_new_name(conn, new, Some(&t.uuid))?;
    if t.active {
        return Err(refuse(
            ErrorKind::InvalidState,
            gettext_f("Shut down “{name}” to rename it.", &[("name", &t.name)]),
            gettext("A machine can only be renamed while it is shut off."),
        ));
    }
    if t.dom.has_managed_save(0).map_err(virt_err)? {
        return Err(refuse(
            ErrorKind::InvalidState,
            gettext_f(
                "“{name}” has a saved state and cannot be renamed.",
                &[("name", &t.name)],
            ),
            gettext("Start it and shut it down first, then rename it."),
        ));
    }
    // libvirt's QEMU driver refuses too (snapshot metadata is kept by name); its words
    // would suggest waiting, which does not help.
    if t.dom.num_snapshots(0).unwrap_or(0) > 0 {
        return Err(refuse(
            ErrorKind::InvalidState,
            gettext_f(
                "“{name}” has snapshots, and libvirt cannot rename a machine with snapshots.",
                &[("name", &t.name)],
            ),
            gettext("Delete its snapshots first if you want to rename it."),
        ));
    }
    t.dom.rename(new, 0).map_err(virt_err)?;
    Ok(Applied::Now)
}

/// libvirt stores text in XML: characters XML 1.0 cannot hold would corrupt the config.
fn xml_safe(c: char) -> bool {
    !c.is_control() || matches!(c, '\t' | '\n' | '\r')
}

fn describe(t: &Target, text: &str) -> Result<Applied, BackendError> {
    if !text.chars().all(xml_safe) {
        return Err(refuse(
            ErrorKind::InvalidInput,
            gettext("The description contains control characters."),
            gettext("Remove them and try again."),
        ));
    }
    let value = (!text.is_empty()).then_some(text);
    let flags = t.states().into_iter().fold(0, |a, f| a | f);
    t.dom
        .set_metadata(
            sys::VIR_DOMAIN_METADATA_DESCRIPTION as i32,
            value,
            None,
            None,
            flags,
        )
        .map_err(virt_err)?;
    Ok(Applied::Now)
}

fn transient_refusal(t: &Target, what: &str) -> BackendError {
    refuse(
        ErrorKind::InvalidState,
        gettext_f(
            "“{name}” is transient (it has no saved configuration), so its {what} cannot be changed.",
            &[("name", &t.name), ("what", what)],
        ),
        gettext("Only machines defined on the host keep settings between runs."),
    )
}

fn autostart(t: &Target, on: bool) -> Result<Applied, BackendError> {
    if !t.persistent {
        return Err(transient_refusal(t, &gettext("autostart")));
    }
    t.dom.set_autostart(on).map_err(virt_err)?;
    Ok(Applied::Now)
}

fn boot_order(conn: &Connect, t: &Target, order: &[BootDevice]) -> Result<Applied, BackendError> {
    if !t.persistent {
        // Defining XML would also make the transient domain persistent.
        return Err(transient_refusal(t, &gettext("boot order")));
    }
    let flags = sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE;
    let xml = t.dom.xml_desc(flags).map_err(virt_err)?;
    let updated = with_boot_order(&xml, order)?;
    conn.define_domain_xml(&updated).map_err(virt_err)?;
    Ok(if t.active {
        Applied::NextBoot {
            reason: gettext("the firmware reads the boot order when the machine starts."),
        }
    } else {
        Applied::Now
    })
}

fn set_tags(t: &Target, list: &[String]) -> Result<Applied, BackendError> {
    for flags in t.states() {
        tags::write_tags(&t.dom, list, flags)?;
    }
    Ok(Applied::Now)
}

/// The result of one edit, for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    /// The machine's name before the edit; empty when it could not be looked up.
    pub name: String,
    pub result: Result<Applied, BackendError>,
    /// The machine's row after the edit, when it could be read.
    pub after: Option<VmSummary>,
}

/// Apply `edit` and read the row again (whether or not it worked: a half-refused edit
/// still leaves the truth to show).
pub fn run_edit(conn: &Connect, uuid: &str, edit: &VmEdit) -> EditOutcome {
    let t = match Target::new(conn, uuid) {
        Ok(t) => t,
        Err(e) => {
            return EditOutcome {
                name: String::new(),
                result: Err(e),
                after: None,
            }
        }
    };
    let result = apply(conn, &t, edit);
    // Look up again: a rename leaves some drivers' handle with the old name.
    let after = lookup(conn, uuid).and_then(|d| summary_of(&d)).ok();
    EditOutcome {
        name: t.name,
        result,
        after,
    }
}

impl super::worker::Worker {
    /// [`Command::Edit`](super::Command::Edit): apply, answer with `Edited`, then send
    /// the fresh row. Returns the reason when the connection turned out to be lost.
    pub(super) fn edit(&mut self, conn: &Connect, uuid: String, edit: VmEdit) -> Option<String> {
        let out = run_edit(conn, &uuid, &edit);
        let name = if out.name.is_empty() {
            self.names.get(&uuid).cloned().unwrap_or_default()
        } else {
            out.name
        };
        let lost = match &out.result {
            Err(e) if e.kind == ErrorKind::Disconnected => Some(e.message.clone()),
            _ => None,
        };
        self.emit(super::Event::Edited {
            uuid,
            name,
            edit,
            result: out.result,
        });
        if let Some(row) = out.after {
            self.changed(row);
        }
        lost
    }

    /// [`Command::Edit`](super::Command::Edit) while disconnected: answered at once.
    pub(super) fn edit_disconnected(&mut self, uuid: String, edit: VmEdit) {
        let name = self.names.get(&uuid).cloned().unwrap_or_default();
        let what = gettext_f("Changing the {what}", &[("what", &edit.what())]);
        self.emit(super::Event::Edited {
            uuid,
            name,
            edit,
            result: Err(BackendError::disconnected(&what)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_say_when_it_applies() {
        assert_eq!(
            Applied::Now.sentence("web"),
            "The change to “web” is in effect."
        );
        let later = Applied::NextBoot {
            reason: "it started with 4 vCPUs.".into(),
        };
        assert!(later
            .sentence("web")
            .ends_with("next starts: it started with 4 vCPUs."));
        assert!(later.waits_for_restart());
        let both = Applied::NowAndNextBoot {
            reason: "the maximum waits.".into(),
        };
        assert!(both
            .sentence("web")
            .contains("now, except: the maximum waits."));
        assert!(!Applied::Now.waits_for_restart());
    }
}
