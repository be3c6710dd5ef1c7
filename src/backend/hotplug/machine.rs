//! The machine a disk request is about: its state, and its disks as the running machine
//! has them (live XML) and as its configuration has them (inactive XML). A running
//! persistent machine has both, and they can differ (a disk hot-plugged by another
//! program for this run only).

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use super::xml::element_xml;
use crate::backend::disks::{disks_of_xml, Resolver};
use crate::backend::error::BackendError;
use crate::backend::summary::lookup;
use crate::backend::xml::{parse_tree, Element};

fn virt_err(e: virt::error::Error) -> BackendError {
    BackendError::from_virt(&e)
}

/// One disk of the machine, by target name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiskSlot {
    pub target: String,
    /// `<target bus>`: "virtio", "sata", "scsi", "ide"...
    pub bus: String,
    /// "disk", "cdrom", "floppy", "lun".
    pub device: String,
    /// What identifies its storage (a path, "pool/volume"); `None` for an empty drive.
    pub key: Option<String>,
    pub readonly: bool,
    pub shareable: bool,
    /// The `<disk>` element in the live XML, when the running machine has it.
    pub live: Option<String>,
    /// The `<disk>` element in the configuration, when it has it.
    pub config: Option<String>,
}

impl DiskSlot {
    /// Removable media: its medium can be changed or ejected.
    pub fn removable(&self) -> bool {
        matches!(self.device.as_str(), "cdrom" | "floppy")
    }
}

pub struct Machine {
    pub dom: Domain,
    pub uuid: String,
    pub name: String,
    /// Has a QEMU process: live changes apply.
    pub active: bool,
    /// Has a configuration (not transient).
    pub persistent: bool,
    /// Live XML (running machines).
    pub live: Option<String>,
    /// Configuration XML (persistent machines).
    pub config: Option<String>,
}

impl Machine {
    pub fn read(conn: &Connect, uuid: &str) -> Result<Machine, BackendError> {
        let dom = lookup(conn, uuid)?;
        let active = dom.is_active().map_err(virt_err)?;
        let persistent = dom.is_persistent().map_err(virt_err)?;
        let live = if active {
            Some(dom.xml_desc(0).map_err(virt_err)?)
        } else {
            None
        };
        let config = if persistent {
            Some(
                dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE)
                    .map_err(virt_err)?,
            )
        } else {
            None
        };
        Ok(Machine {
            name: dom.name().map_err(virt_err)?,
            uuid: uuid.to_ascii_lowercase(),
            dom,
            active,
            persistent,
            live,
            config,
        })
    }

    /// The flags for a device change that must reach every state the machine has: live
    /// and configuration when running and persistent, live when transient, the
    /// configuration when shut off.
    pub fn flags(&self) -> u32 {
        let mut flags = 0;
        if self.active {
            flags |= sys::VIR_DOMAIN_AFFECT_LIVE;
        }
        if self.persistent {
            flags |= sys::VIR_DOMAIN_AFFECT_CONFIG;
        }
        flags
    }

    /// Every disk, live and configured, merged by target (live first, in document order).
    pub fn disks(&self, conn: &Connect) -> Result<Vec<DiskSlot>, BackendError> {
        let mut res = Resolver::default();
        let mut out: Vec<DiskSlot> = Vec::new();
        for (xml, live) in [(&self.live, true), (&self.config, false)] {
            let Some(xml) = xml else { continue };
            let refs = disks_of_xml(conn, &mut res, xml)?;
            let root = parse_tree(xml)?;
            let elements: Vec<&Element> = root
                .child("devices")
                .map(|d| d.children_named("disk").collect())
                .unwrap_or_default();
            for (r, el) in refs.iter().zip(elements) {
                let text = Some(element_xml(el));
                let i = match out.iter().position(|s| s.target == r.target) {
                    Some(i) => i,
                    None => {
                        out.push(DiskSlot {
                            target: r.target.clone(),
                            bus: el
                                .child("target")
                                .and_then(|t| t.attr("bus"))
                                .unwrap_or_default()
                                .to_owned(),
                            device: r.device.clone(),
                            key: r.key(),
                            readonly: r.readonly,
                            shareable: r.shareable,
                            ..DiskSlot::default()
                        });
                        out.len() - 1
                    }
                };
                if live {
                    out[i].live = text;
                } else {
                    out[i].config = text;
                }
            }
        }
        Ok(out)
    }

    /// Which of the machine's states have no SCSI controller, as flags
    /// (`VIR_DOMAIN_AFFECT_LIVE` / `_CONFIG`); 0 when every state has one. A controller
    /// of another model (lsilogic) serves too: libvirt puts the disk on controller 0.
    pub fn missing_scsi_controller(&self) -> Result<u32, BackendError> {
        let mut missing = 0;
        for (xml, flag) in [
            (&self.live, sys::VIR_DOMAIN_AFFECT_LIVE),
            (&self.config, sys::VIR_DOMAIN_AFFECT_CONFIG),
        ] {
            let Some(xml) = xml else { continue };
            if scsi_controllers(&parse_tree(xml)?).next().is_none() {
                missing |= flag;
            }
        }
        Ok(missing)
    }
}

fn scsi_controllers(root: &Element) -> impl Iterator<Item = &Element> {
    root.child("devices")
        .into_iter()
        .flat_map(|d| d.children_named("controller"))
        .filter(|c| c.attr("type") == Some("scsi"))
}
