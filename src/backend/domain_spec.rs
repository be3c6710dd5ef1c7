//! A typed model of the domain the creation wizard defines, written out with
//! quick_xml's writer ([`DomainSpec::to_xml`]); nothing is formatted from strings.
//!
//! Only what KVM Manager creates is modelled: one guest with disks (file, block device,
//! pool volume, or an http(s) network CD-ROM), NICs on a virtual network or host bridge,
//! VNC or SPICE graphics, a video model, a USB tablet, a serial console, the QEMU guest
//! agent channel and our own agent's channel, and a virtio RNG. libvirt fills in the rest
//! (controllers, addresses, MAC addresses, UUID) when the XML is defined. Disk targets are
//! assigned deterministically per bus in device order (`vda`, `vdb`; `sda`, `sdb`; `hda`).

use std::io::Cursor;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event as XmlEvent};
use quick_xml::Writer;

use super::xml::LIBOSINFO_NS;

/// Name of the virtio-serial channel KVM Manager's guest agent listens on.
pub const KVMM_AGENT_CHANNEL: &str = "io.github.kvmmanager.agent.0";
/// Name of the QEMU guest agent's channel.
pub const QEMU_AGENT_CHANNEL: &str = "org.qemu.guest_agent.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Firmware {
    #[default]
    Bios,
    /// `<os firmware='efi'>`: libvirt picks an installed OVMF build.
    Uefi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiskBus {
    Virtio,
    Sata,
    Scsi,
    Ide,
    Usb,
}

impl DiskBus {
    pub fn as_str(self) -> &'static str {
        match self {
            DiskBus::Virtio => "virtio",
            DiskBus::Sata => "sata",
            DiskBus::Scsi => "scsi",
            DiskBus::Ide => "ide",
            DiskBus::Usb => "usb",
        }
    }
    /// Target name prefix; SATA, SCSI and USB disks share the `sd` names.
    pub fn target_prefix(self) -> &'static str {
        match self {
            DiskBus::Virtio => "vd",
            DiskBus::Ide => "hd",
            DiskBus::Sata | DiskBus::Scsi | DiskBus::Usb => "sd",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DiskDevice {
    Disk,
    Cdrom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlScheme {
    Http,
    Https,
}

impl UrlScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlScheme::Http => "http",
            UrlScheme::Https => "https",
        }
    }
    pub fn default_port(self) -> u16 {
        match self {
            UrlScheme::Http => 80,
            UrlScheme::Https => 443,
        }
    }
}

/// An image served over http(s), attached as `<disk type='network'>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkDiskSource {
    pub scheme: UrlScheme,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Path on the server, starting with `/` (percent-encoding kept as given).
    pub path: String,
    /// Query string without the `?`, when the URL has one.
    pub query: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DiskSource {
    /// An empty CD-ROM drive.
    Empty,
    File(String),
    Block(String),
    Volume {
        pool: String,
        volume: String,
    },
    Network(NetworkDiskSource),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DiskSpec {
    pub source: DiskSource,
    pub device: DiskDevice,
    pub bus: DiskBus,
    /// Driver format ("qcow2", "raw"); `None` lets libvirt probe nothing and assume raw.
    pub format: Option<String>,
    pub readonly: bool,
    /// Per-device boot order (1 = first).
    pub boot_order: Option<u32>,
    /// Explicit target; `None` = assigned in order (see [`assign_targets`]).
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NicSource {
    /// A libvirt virtual network by name.
    Network(String),
    /// A host bridge device by name.
    Bridge(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NicSpec {
    pub source: NicSource,
    /// "virtio", "e1000e", "e1000", "rtl8139".
    pub model: String,
    /// `None`: libvirt generates one.
    pub mac: Option<String>,
    pub boot_order: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum GraphicsKind {
    #[default]
    Vnc,
    Spice,
}

/// Everything the creation wizard writes into a new domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainSpec {
    pub name: String,
    pub uuid: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// libosinfo OS id, stored in `<metadata>` the way virt-manager and GNOME Boxes do.
    pub os_id: Option<String>,
    /// Domain type: "kvm", "qemu", "test".
    pub virt_type: String,
    pub arch: String,
    /// Machine type ("q35"); `None` = the hypervisor's default.
    pub machine: Option<String>,
    pub firmware: Firmware,
    /// `<cpu mode=...>` ("host-passthrough" on KVM); `None` = libvirt's default.
    pub cpu_mode: Option<String>,
    pub vcpus: u32,
    pub memory_kib: u64,
    /// Guest clock in local time (Windows) rather than UTC.
    pub clock_localtime: bool,
    /// Hyper-V enlightenments (Windows guests).
    pub hyperv: bool,
    pub disks: Vec<DiskSpec>,
    pub nics: Vec<NicSpec>,
    pub graphics: Option<GraphicsKind>,
    /// Video model ("virtio", "qxl", "vga", "bochs"); `None` = no video device element.
    pub video: Option<String>,
    pub tablet: bool,
    pub serial_console: bool,
    pub qemu_agent_channel: bool,
    pub kvmm_agent_channel: bool,
    pub rng: bool,
}

impl Default for DomainSpec {
    fn default() -> Self {
        DomainSpec {
            name: String::new(),
            uuid: None,
            title: None,
            description: None,
            os_id: None,
            virt_type: "kvm".into(),
            arch: "x86_64".into(),
            machine: None,
            firmware: Firmware::Bios,
            cpu_mode: None,
            vcpus: 1,
            memory_kib: 1 << 20,
            clock_localtime: false,
            hyperv: false,
            disks: Vec::new(),
            nics: Vec::new(),
            graphics: Some(GraphicsKind::Vnc),
            video: None,
            tablet: true,
            serial_console: true,
            qemu_agent_channel: true,
            kvmm_agent_channel: true,
            rng: false,
        }
    }
}

/// The disk name for a 0-based index: a..z, aa..az, ba... (libvirt's scheme).
pub fn disk_suffix(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Targets for `disks` in order: explicit ones kept, the others take the first free name
/// of their bus's prefix.
pub fn assign_targets(disks: &[DiskSpec]) -> Vec<String> {
    let mut taken: Vec<String> = disks.iter().filter_map(|d| d.target.clone()).collect();
    disks
        .iter()
        .map(|d| {
            if let Some(t) = &d.target {
                return t.clone();
            }
            let prefix = d.bus.target_prefix();
            let name = (0..)
                .map(|i| format!("{prefix}{}", disk_suffix(i)))
                .find(|n| !taken.contains(n))
                .unwrap_or_default();
            taken.push(name.clone());
            name
        })
        .collect()
}

/// Small wrapper: writing into a `Vec` cannot fail, so results are dropped here once.
struct Xw(Writer<Cursor<Vec<u8>>>);

impl Xw {
    fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(tag);
        s.extend_attributes(attrs.iter().copied());
        let _ = self.0.write_event(XmlEvent::Start(s));
    }
    fn close(&mut self, tag: &str) {
        let _ = self.0.write_event(XmlEvent::End(BytesEnd::new(tag)));
    }
    fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(tag);
        s.extend_attributes(attrs.iter().copied());
        let _ = self.0.write_event(XmlEvent::Empty(s));
    }
    fn text(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.open(tag, attrs);
        let _ = self.0.write_event(XmlEvent::Text(BytesText::new(text)));
        self.close(tag);
    }
}

impl DomainSpec {
    /// The domain XML, indented by two spaces (it is shown to the user for editing).
    pub fn to_xml(&self) -> String {
        let mut w = Xw(Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2));
        w.open("domain", &[("type", &self.virt_type)]);
        w.text("name", &[], &self.name);
        if let Some(u) = &self.uuid {
            w.text("uuid", &[], u);
        }
        if let Some(t) = &self.title {
            w.text("title", &[], t);
        }
        if let Some(d) = &self.description {
            w.text("description", &[], d);
        }
        if let Some(id) = &self.os_id {
            w.open("metadata", &[]);
            w.open("libosinfo:libosinfo", &[("xmlns:libosinfo", LIBOSINFO_NS)]);
            w.empty("libosinfo:os", &[("id", id)]);
            w.close("libosinfo:libosinfo");
            w.close("metadata");
        }
        let mem = self.memory_kib.to_string();
        w.text("memory", &[("unit", "KiB")], &mem);
        w.text("currentMemory", &[("unit", "KiB")], &mem);
        w.text("vcpu", &[], &self.vcpus.to_string());
        self.write_os(&mut w);
        self.write_features(&mut w);
        if let Some(mode) = &self.cpu_mode {
            w.empty("cpu", &[("mode", mode)]);
        }
        let offset = if self.clock_localtime {
            "localtime"
        } else {
            "utc"
        };
        if self.hyperv {
            w.open("clock", &[("offset", offset)]);
            w.empty("timer", &[("name", "hypervclock"), ("present", "yes")]);
            w.close("clock");
        } else {
            w.empty("clock", &[("offset", offset)]);
        }
        w.open("devices", &[]);
        self.write_disks(&mut w);
        self.write_controllers(&mut w);
        for nic in &self.nics {
            write_nic(&mut w, nic);
        }
        self.write_chardevs(&mut w);
        if self.tablet {
            w.empty("input", &[("type", "tablet"), ("bus", "usb")]);
        }
        match self.graphics {
            Some(GraphicsKind::Vnc) => w.empty("graphics", &[("type", "vnc"), ("autoport", "yes")]),
            Some(GraphicsKind::Spice) => {
                w.empty("graphics", &[("type", "spice"), ("autoport", "yes")])
            }
            None => {}
        }
        if let Some(model) = &self.video {
            w.open("video", &[]);
            w.empty("model", &[("type", model)]);
            w.close("video");
        }
        if self.rng {
            w.open("rng", &[("model", "virtio")]);
            w.text("backend", &[("model", "random")], "/dev/urandom");
            w.close("rng");
        }
        w.close("devices");
        w.close("domain");
        String::from_utf8(w.0.into_inner().into_inner()).unwrap_or_default()
    }

    fn write_os(&self, w: &mut Xw) {
        match self.firmware {
            Firmware::Uefi => w.open("os", &[("firmware", "efi")]),
            Firmware::Bios => w.open("os", &[]),
        }
        let mut attrs = vec![("arch", self.arch.as_str())];
        if let Some(m) = &self.machine {
            attrs.push(("machine", m));
        }
        w.text("type", &attrs, "hvm");
        w.close("os");
    }

    fn write_features(&self, w: &mut Xw) {
        w.open("features", &[]);
        w.empty("acpi", &[]);
        w.empty("apic", &[]);
        if self.hyperv {
            w.open("hyperv", &[]);
            w.empty("relaxed", &[("state", "on")]);
            w.empty("vapic", &[("state", "on")]);
            w.empty("spinlocks", &[("state", "on"), ("retries", "8191")]);
            w.close("hyperv");
        }
        w.close("features");
    }

    fn write_disks(&self, w: &mut Xw) {
        let targets = assign_targets(&self.disks);
        for (disk, target) in self.disks.iter().zip(&targets) {
            write_disk(w, disk, target);
        }
    }

    fn write_controllers(&self, w: &mut Xw) {
        if self.tablet {
            w.empty("controller", &[("type", "usb"), ("model", "qemu-xhci")]);
        }
        if self.disks.iter().any(|d| d.bus == DiskBus::Scsi) {
            w.empty("controller", &[("type", "scsi"), ("model", "virtio-scsi")]);
        }
    }

    fn write_chardevs(&self, w: &mut Xw) {
        if self.serial_console {
            w.open("serial", &[("type", "pty")]);
            w.empty("target", &[("port", "0")]);
            w.close("serial");
            w.open("console", &[("type", "pty")]);
            w.empty("target", &[("type", "serial"), ("port", "0")]);
            w.close("console");
        }
        let mut channel = |name: &str| {
            w.open("channel", &[("type", "unix")]);
            w.empty("target", &[("type", "virtio"), ("name", name)]);
            w.close("channel");
        };
        if self.qemu_agent_channel {
            channel(QEMU_AGENT_CHANNEL);
        }
        if self.kvmm_agent_channel {
            channel(KVMM_AGENT_CHANNEL);
        }
        if self.graphics == Some(GraphicsKind::Spice) {
            w.open("channel", &[("type", "spicevmc")]);
            w.empty(
                "target",
                &[("type", "virtio"), ("name", "com.redhat.spice.0")],
            );
            w.close("channel");
        }
    }
}

fn write_disk(w: &mut Xw, disk: &DiskSpec, target: &str) {
    let kind = match &disk.source {
        DiskSource::Empty | DiskSource::File(_) => "file",
        DiskSource::Block(_) => "block",
        DiskSource::Volume { .. } => "volume",
        DiskSource::Network(_) => "network",
    };
    let device = match disk.device {
        DiskDevice::Disk => "disk",
        DiskDevice::Cdrom => "cdrom",
    };
    w.open("disk", &[("type", kind), ("device", device)]);
    match &disk.format {
        Some(f) => w.empty("driver", &[("name", "qemu"), ("type", f)]),
        None => w.empty("driver", &[("name", "qemu")]),
    }
    match &disk.source {
        DiskSource::Empty => {}
        DiskSource::File(p) => w.empty("source", &[("file", p)]),
        DiskSource::Block(p) => w.empty("source", &[("dev", p)]),
        DiskSource::Volume { pool, volume } => {
            w.empty("source", &[("pool", pool), ("volume", volume)])
        }
        DiskSource::Network(n) => {
            let mut attrs = vec![("protocol", n.scheme.as_str()), ("name", n.path.as_str())];
            if let Some(q) = &n.query {
                attrs.push(("query", q));
            }
            w.open("source", &attrs);
            let port = n.port.to_string();
            w.empty("host", &[("name", &n.host), ("port", &port)]);
            w.close("source");
        }
    }
    w.empty("target", &[("dev", target), ("bus", disk.bus.as_str())]);
    if disk.readonly {
        w.empty("readonly", &[]);
    }
    if let Some(order) = disk.boot_order {
        w.empty("boot", &[("order", &order.to_string())]);
    }
    w.close("disk");
}

fn write_nic(w: &mut Xw, nic: &NicSpec) {
    let (kind, key, name) = match &nic.source {
        NicSource::Network(n) => ("network", "network", n),
        NicSource::Bridge(b) => ("bridge", "bridge", b),
    };
    w.open("interface", &[("type", kind)]);
    if let Some(mac) = &nic.mac {
        w.empty("mac", &[("address", mac)]);
    }
    w.empty("source", &[(key, name)]);
    w.empty("model", &[("type", &nic.model)]);
    if let Some(order) = nic.boot_order {
        w.empty("boot", &[("order", &order.to_string())]);
    }
    w.close("interface");
}

#[cfg(test)]
#[path = "domain_spec_tests.rs"]
mod tests;
