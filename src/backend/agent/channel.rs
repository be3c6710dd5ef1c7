//! The guest-agent channels in a domain's XML: ours (`io.github.kvmmanager.agent.0`) and
//! qemu-guest-agent's (`org.qemu.guest_agent.0`), each a virtio-serial port backed on the
//! host by a UNIX socket that QEMU listens on.
//!
//! [`find_channels`] reads them from a document (pure); [`read_channels`] from a domain's
//! LIVE XML, which is where libvirt writes the socket path it picked and the guest side's
//! `state`. The path changes whenever the domain starts again, so callers re-read it for
//! every new connection. [`agent_channel_xml`] is the device to add (no source path:
//! libvirt chooses one under its channel directory), used by [`add_agent_channel`] and by
//! the creation wizard.

use std::io::Cursor;

use gettextrs::gettext;
use quick_xml::events::{BytesEnd, BytesStart, Event as XmlEvent};
use quick_xml::Writer;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use crate::backend::edit::Applied;
use crate::backend::error::{BackendError, ErrorKind};
use crate::backend::summary;
use crate::backend::xml::{parse_tree, Element};
use crate::backend::xml_edit::{self, Edit, Node, Path};
use crate::i18n::gettext_f;

/// Our channel's name (also the protocol's name and major version).
pub const AGENT_CHANNEL: &str = kvm_guest_agent::protocol::PROTOCOL_NAME;
/// qemu-guest-agent's channel name.
pub const QEMU_GA_CHANNEL: &str = "org.qemu.guest_agent.0";

/// The guest side of a virtio-serial port, as libvirt last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GuestSide {
    /// A program in the guest has the port open.
    Connected,
    /// Nobody in the guest has it open (agent not installed or not running).
    Disconnected,
    /// libvirt does not say (the domain is not running, or an old QEMU).
    Unknown,
}

/// One agent channel of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// The `<target name>`.
    pub name: String,
    /// Host side of the port; `None` until libvirt has assigned one (shut-off domains)
    /// or when the channel is not a UNIX socket.
    pub socket: Option<String>,
    pub guest: GuestSide,
}

/// Both agent channels of a domain, when present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Channels {
    pub agent: Option<ChannelInfo>,
    pub qemu_ga: Option<ChannelInfo>,
}

/// The agent channels in a domain document. Pure: tested without libvirt.
pub fn find_channels(xml: &str) -> Result<Channels, BackendError> {
    let root = parse_tree(xml)?;
    let mut out = Channels::default();
    let Some(devices) = root.child("devices") else {
        return Ok(out);
    };
    for ch in devices.children_named("channel") {
        let Some(info) = channel_info(ch) else {
            continue;
        };
        let slot = match info.name.as_str() {
            AGENT_CHANNEL => &mut out.agent,
            QEMU_GA_CHANNEL => &mut out.qemu_ga,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(info);
        }
    }
    Ok(out)
}

fn channel_info(ch: &Element) -> Option<ChannelInfo> {
    let target = ch.child("target")?;
    if target.attr("type") != Some("virtio") {
        return None;
    }
    let name = target.attr("name")?.to_owned();
    let socket = if ch.attr("type") == Some("unix") {
        ch.child("source")
            .and_then(|s| s.attr("path"))
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
    } else {
        None
    };
    let guest = match target.attr("state") {
        Some("connected") => GuestSide::Connected,
        Some("disconnected") => GuestSide::Disconnected,
        _ => GuestSide::Unknown,
    };
    Some(ChannelInfo {
        name,
        socket,
        guest,
    })
}

/// The channels of a domain as it is now (live XML when running, else its definition).
pub fn read_channels(dom: &Domain) -> Result<Channels, BackendError> {
    let xml = dom.xml_desc(0).map_err(|e| BackendError::from_virt(&e))?;
    find_channels(&xml)
}

/// The `<channel>` device for our agent: a virtio-serial port whose host side is a UNIX
/// socket QEMU listens on, at a path libvirt picks (so none is given).
pub fn agent_channel_xml() -> String {
    let mut w = Writer::new(Cursor::new(Vec::new()));
    let mut channel = BytesStart::new("channel");
    channel.push_attribute(("type", "unix"));
    let mut source = BytesStart::new("source");
    source.push_attribute(("mode", "bind"));
    let mut target = BytesStart::new("target");
    target.push_attribute(("type", "virtio"));
    target.push_attribute(("name", AGENT_CHANNEL));
    // Writing into memory cannot fail.
    let _ = w.write_event(XmlEvent::Start(channel));
    let _ = w.write_event(XmlEvent::Empty(source));
    let _ = w.write_event(XmlEvent::Empty(target));
    let _ = w.write_event(XmlEvent::End(BytesEnd::new("channel")));
    String::from_utf8(w.into_inner().into_inner()).unwrap_or_default()
}

/// The same device as an [`xml_edit`] node, to append to `/domain/devices`.
pub fn agent_channel_node() -> Node {
    Node::new("channel")
        .attr("type", "unix")
        .child(Node::new("source").attr("mode", "bind"))
        .child(
            Node::new("target")
                .attr("type", "virtio")
                .attr("name", AGENT_CHANNEL),
        )
}

/// Add our agent channel to machine `uuid`: to its definition, and to the running machine
/// too where libvirt allows hot-plugging it. A machine that has the channel already is
/// refused with `InvalidInput`.
pub fn add_agent_channel(conn: &Connect, uuid: &str) -> Result<Applied, BackendError> {
    let dom = summary::lookup(conn, uuid)?;
    let name = dom.name().unwrap_or_else(|_| uuid.to_owned());
    let virt = |e: virt::error::Error| BackendError::from_virt(&e);
    let active = dom.is_active().map_err(virt)?;
    let inactive = dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE).map_err(virt)?;
    let live_has = active && read_channels(&dom)?.agent.is_some();
    if find_channels(&inactive)?.agent.is_some() || live_has {
        return Err(BackendError {
            kind: ErrorKind::InvalidInput,
            message: gettext_f(
                "“{name}” already has the guest agent channel.",
                &[("name", &name)],
            ),
            hint: gettext("Install and start kvm-guest-agent in the guest to use it."),
        });
    }
    let persistent = dom.is_persistent().map_err(virt)?;
    let xml = agent_channel_xml();
    if !active {
        define_with_channel(conn, &dom, &inactive, &xml)?;
        return Ok(Applied::Now);
    }
    // Live first: the running machine is the one that can refuse.
    let flags = sys::VIR_DOMAIN_AFFECT_LIVE
        | if persistent {
            sys::VIR_DOMAIN_AFFECT_CONFIG
        } else {
            0
        };
    match dom.attach_device_flags(&xml, flags) {
        Ok(()) => Ok(Applied::Now),
        Err(e) if persistent => {
            let reason = e.message().to_owned();
            log::info!("{name}: agent channel not hot-plugged: {reason}");
            define_with_channel(conn, &dom, &inactive, &xml)?;
            Ok(Applied::NextBoot {
                reason: gettext_f(
                    "The running machine cannot take the channel now ({reason}); it is added from the next start.",
                    &[("reason", &reason)],
                ),
            })
        }
        Err(e) => Err(virt(e)),
    }
}

/// Persist the channel: through libvirt's device attach, or, where the driver has none,
/// by redefining the machine with the channel appended to its devices.
fn define_with_channel(
    conn: &Connect,
    dom: &Domain,
    inactive: &str,
    xml: &str,
) -> Result<(), BackendError> {
    match dom.attach_device_flags(xml, sys::VIR_DOMAIN_AFFECT_CONFIG) {
        Ok(()) => return Ok(()),
        Err(e) => {
            let err = BackendError::from_virt(&e);
            if err.kind != ErrorKind::Unsupported {
                return Err(err);
            }
        }
    }
    let devices = Path::parse("/domain/devices")
        .map_err(|e| BackendError::new(ErrorKind::Other, format!("internal path error: {e:?}")))?;
    let out = xml_edit::apply(inactive, &[Edit::append(devices, agent_channel_node())])?;
    if out.hits.first() != Some(&1) {
        return Err(BackendError::new(
            ErrorKind::Other,
            gettext("The machine's definition has no devices section to add the channel to."),
        ));
    }
    conn.define_domain_xml(&out.xml)
        .map_err(|e| BackendError::from_virt(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(devices: &str) -> String {
        format!("<domain type='kvm'><name>a</name><devices>{devices}</devices></domain>")
    }

    #[test]
    fn both_channels_with_paths_and_states() {
        let x = doc(
            "<channel type='unix'><source mode='bind' path='/run/libvirt/qemu/channel/1-a/org.qemu.guest_agent.0'/>\
             <target type='virtio' name='org.qemu.guest_agent.0' state='disconnected'/></channel>\
             <channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>\
             <channel type='unix'><source mode='bind' path='/run/x/io.github.kvmmanager.agent.0'/>\
             <target type='virtio' name='io.github.kvmmanager.agent.0' state='connected'/></channel>",
        );
        let c = find_channels(&x).unwrap();
        let agent = c.agent.unwrap();
        assert_eq!(
            agent.socket.as_deref(),
            Some("/run/x/io.github.kvmmanager.agent.0")
        );
        assert_eq!(agent.guest, GuestSide::Connected);
        let qga = c.qemu_ga.unwrap();
        assert_eq!(qga.guest, GuestSide::Disconnected);
        assert!(qga.socket.unwrap().ends_with("guest_agent.0"));
    }

    #[test]
    fn shut_off_and_odd_channels() {
        let x = doc("<channel type='unix'><source mode='bind'/>\
             <target type='virtio' name='io.github.kvmmanager.agent.0'/></channel>\
             <channel type='pty'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>");
        let c = find_channels(&x).unwrap();
        let agent = c.agent.unwrap();
        assert_eq!((agent.socket, agent.guest), (None, GuestSide::Unknown));
        assert_eq!(c.qemu_ga.unwrap().socket, None);
        assert_eq!(find_channels("<domain/>").unwrap(), Channels::default());
        let guestfwd = doc(
            "<channel type='unix'><target type='guestfwd' name='io.github.kvmmanager.agent.0'/></channel>",
        );
        assert_eq!(find_channels(&guestfwd).unwrap().agent, None);
        assert!(find_channels("<domain").is_err());
    }

    #[test]
    fn the_new_channel_reads_back_as_ours() {
        let xml = agent_channel_xml();
        assert!(!xml.contains("path"), "{xml}");
        let c = find_channels(&doc(&xml)).unwrap();
        assert_eq!(c.agent.unwrap().name, AGENT_CHANNEL);
        let edited = xml_edit::apply(
            &doc(""),
            &[Edit::append(
                Path::parse("/domain/devices").unwrap(),
                agent_channel_node(),
            )],
        )
        .unwrap();
        assert!(find_channels(&edited.xml).unwrap().agent.is_some());
    }
}
